"""mytorch-hw1p1 across semesters: which build of the 3.0.x autograder a folder was written for
(releases.py, from lines each semester's handout ships), and the rubric's choice winning.
The folders are written here, in each handout's style (no student code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.profiles import get_profile
from grader.profiles.mytorch_hw1p1 import releases as R

SOLUTION = Path(__file__).resolve().parent / "mytorch" / "solution"

SOFTMAX_S25 = ('class Softmax:\n    def forward(self, Z):\n        """\n        Note: How can we handle '
               'large overflow values? Hint: Check numerical stability.\n        """\n'
               '        raise NotImplementedError\n')
SWISH = "class Swish:\n    def forward(self, Z):\n        raise NotImplementedError\n"


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("files, release", [
    ({R.ACTIVATION_FILE: "class Softmax:\n    pass\n"}, R.V3),
    ({R.ACTIVATION_FILE: SOFTMAX_S25}, R.S25),
    ({R.ACTIVATION_FILE: "class Softmax:\n    pass\n", R.SUBDIR_AUTOGRADER: "print(1)\n"}, R.S25),
    ({R.ACTIVATION_FILE: SOFTMAX_S25 + "\n\n" + SWISH}, R.S26),
], ids=["F23-F24", "S25 stub note", "S25 autograder folder", "S26 Swish"])
def test_detect(tmp_path: Path, files: dict[str, str], release) -> None:
    found = R.detect(folder(tmp_path, files))
    assert found.name == release.name
    assert found.why and "{" not in found.why


def test_s25_reason_names_the_clue(tmp_path: Path) -> None:
    found = R.detect(folder(tmp_path, {R.ACTIVATION_FILE: SOFTMAX_S25}))
    assert found.why.startswith("the Softmax stub asks how to handle large overflow values")


def test_the_project_solution_is_f23() -> None:
    assert get_profile("mytorch-hw1p1").release_for(SOLUTION).name == R.V3.name


def test_s25_and_s26_test_softmax_stability_and_forbid_np_tanh() -> None:
    for release in (R.S25, R.S26):
        assert release.tests("test_activations.py::test_large_inputs[Softmax]")
        assert not release.tests("test_activations.py::test_large_inputs[Tanh]")
        assert R.forbids_np_tanh(release)
    assert not R.V3.tests("test_activations.py::test_large_inputs[Softmax]")
    assert not R.forbids_np_tanh(R.V3) and not R.forbids_np_tanh(None)
    assert R.has_swish(R.S26) and not R.has_swish(R.S25)


def test_rubric_release_wins(tmp_path: Path) -> None:
    chosen = get_profile("mytorch-hw1p1").release_for(
        folder(tmp_path, {R.ACTIVATION_FILE: SWISH}), R.S25.name)
    assert chosen.name == R.S25.name and "rubric" in chosen.why
