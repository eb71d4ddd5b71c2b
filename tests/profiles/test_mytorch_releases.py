"""mytorch-hw1p1 across semesters: which build of the 3.0.x autograder a folder was written for
(releases.py, from lines each semester's handout ships), and the rubric's choice winning.
The folders are written here, in each handout's style (no student code)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from grading_helpers import assert_full_marks, describe, grade_in_subprocesses, job

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


# -- graded in each release's style (the catalog's solution, edited as each handout has it) --
sys.path.insert(0, str(Path(__file__).resolve().parent / "mytorch"))

import mytorch_catalog as catalog  # noqa: E402

ACT = "mytorch/nn/activation.py"
NP_TANH = "self.A = np.tanh(Z)"
TANH_FROM_EXP = ("e = np.exp(-2.0 * np.abs(Z))\n        self.A = np.sign(Z) * (1.0 - e) / (1.0 + e)")
S25_NOTE = ("class Softmax:\n    def forward(self, Z):\n",
            'class Softmax:\n    def forward(self, Z):\n        """Note: How can we handle large overflow '
            'values? Hint: Check numerical stability."""\n')
SWISH_CLASS = ("class Softmax:\n", '''class Swish:
    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, Z):
        self.Z = Z
        self.S = 1.0 / (1.0 + np.exp(-self.beta * Z))
        self.A = Z * self.S
        return self.A

    def backward(self, dLdA):
        s, Z = self.S, self.Z
        self.dLdbeta = np.sum(dLdA * Z * Z * s * (1.0 - s))
        return dLdA * (s + self.beta * Z * s * (1.0 - s))


class Softmax:
''')
SOFTMAX_NO_MAX = ("shifted = Z - np.max(Z, axis=1, keepdims=True)", "shifted = Z")
#: The handout's Tanh stub (every release ships it so): nothing implemented.
TANH_STUB = (NP_TANH + "\n        return self.A", "raise NotImplementedError")

S25_SOLUTION = ((ACT, ((NP_TANH, TANH_FROM_EXP), S25_NOTE)),)
STYLES = {
    "f23-solution": (),
    "s25-solution": S25_SOLUTION,
    "s25-np-tanh": ((ACT, (S25_NOTE,)),),
    "s25-softmax-no-max": ((ACT, ((NP_TANH, TANH_FROM_EXP), S25_NOTE, SOFTMAX_NO_MAX)),),
    "f23-softmax-no-max": ((ACT, (SOFTMAX_NO_MAX,)),),
    "s26-solution": ((ACT, ((NP_TANH, TANH_FROM_EXP), S25_NOTE, SWISH_CLASS)),),
    "s26-no-swish-beta-gradient": ((ACT, ((NP_TANH, TANH_FROM_EXP), S25_NOTE, SWISH_CLASS,
                                          ("self.dLdbeta = np.sum(dLdA * Z * Z * s * (1.0 - s))",
                                           "self.dLdbeta = 0.0"))),),
    "f23-tanh-stub": ((ACT, (TANH_STUB,)),),
    "s25-tanh-stub": ((ACT, (TANH_STUB, S25_NOTE)),),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mytorch-releases")
    jobs = [job(name, catalog.materialize(root / name, edits), rubric="mytorch-hw1p1",
                include_tags=["activations"]) for name, edits in STYLES.items()]
    return grade_in_subprocesses(jobs, root, processes=1)


def lost(result: dict, check: str) -> list[dict]:
    return [c for c in result["checks"] if c["name"].startswith(check) and c["score"] < c["max_score"]]


@pytest.mark.slow
@pytest.mark.parametrize("name, release", [("f23-solution", R.V3), ("s25-solution", R.S25),
                                           ("s26-solution", R.S26)])
def test_each_release_solution_gets_full_marks(graded, name: str, release) -> None:
    result = graded[name]
    assert result["release"] == release.name, describe(result)
    assert_full_marks(result)


@pytest.mark.slow
def test_s25_charges_np_tanh_and_f23_does_not(graded) -> None:
    result = graded["s25-np-tanh"]
    hits = lost(result, "test_activations.py::test_tanh_without_np_tanh")
    assert hits and hits[0]["diagnoses"][0]["id"] == "forbidden-import", describe(result)
    assert "np.tanh" in hits[0]["diagnoses"][0]["hint"]
    # F23-F24 allows np.tanh: the check is not part of that release.
    f23 = {c["name"]: c for c in graded["f23-solution"]["checks"]}
    assert f23["test_activations.py::test_tanh_without_np_tanh"]["status"] == "not-assigned"


@pytest.mark.slow
def test_softmax_stability_costs_points_in_s25_only(graded) -> None:
    s25, f23 = graded["s25-softmax-no-max"], graded["f23-softmax-no-max"]
    assert lost(s25, "test_activations.py::test_large_inputs[Softmax]"), describe(s25)
    assert s25["score"] < s25["max_score"]
    stability = [c for c in f23["checks"] if c["name"] == "test_activations.py::test_large_inputs[Softmax]"]
    assert stability and stability[0]["status"] == "failed" and stability[0]["beyond_course"], describe(f23)
    assert f23["score"] == f23["max_score"], describe(f23)


@pytest.mark.slow
def test_s25_hints_never_recommend_np_tanh(graded) -> None:
    for c in graded["s25-solution"]["checks"] + graded["s25-softmax-no-max"]["checks"]:
        for d in c["diagnoses"]:
            assert "use np.tanh" not in d["hint"], c["name"]


@pytest.mark.slow
def test_s26_grades_swish(graded) -> None:
    result = graded["s26-no-swish-beta-gradient"]
    hits = lost(result, "test_activations.py::test_swish")
    assert hits and "dLdbeta" in hits[0]["diagnoses"][0]["hint"], describe(result)


@pytest.mark.slow
@pytest.mark.parametrize("name, release", [("f23-tanh-stub", R.V3), ("s25-tanh-stub", R.S25)])
def test_the_handout_stub_is_not_implemented(graded, name: str, release) -> None:
    result = graded[name]
    assert result["release"] == release.name
    tanh = [c for c in result["checks"] if c["name"].startswith("test_activations.py::test_forward[Tanh]")]
    assert tanh and tanh[0]["score"] == 0 < tanh[0]["max_score"], describe(result)
