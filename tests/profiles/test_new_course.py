"""Adding a fourth course is copying a profile folder (README, "Adding a course: copy a profile
folder"): the walk-through followed step by step on a copy of the grader, a tiny profile
(one layer, one check, a reference) written into its grader/profiles/, nothing else edited,
then a correct and a buggy submission graded through the real command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import grader
import reference

REPO = Path(grader.__file__).resolve().parents[1]

# The walk-through's files, one per step, for a course whose students write
# activations.py: leaky_relu_forward(x, slope) and leaky_relu_backward(dout, x, slope).
PROFILE_FILES = {
    # Step 1: the folder's __init__.py defines PROFILE; its name is the folder's, "_" -> "-".
    "__init__.py": '''
        """A tiny course: activations.py with a leaky ReLU (the README's walk-through)."""

        from pathlib import Path

        from grader.profiles.base import Profile

        HERE = Path(__file__).resolve().parent

        PROFILE = Profile(
            name="tiny-course",
            title="A tiny course: leaky ReLU",
            expects="activations.py with leaky_relu_forward(x, slope), leaky_relu_backward(dout, x, slope)",
            modules=("activations",),
            markers=("activations.py",),
            checks_dir=HERE / "checks",
            rubric=str(HERE / "rubric.toml"),
            forbidden_imports=("torch", "tensorflow", "jax"),
            beyond_course_points=False,
        )
        ''',
    # Step 2: the trusted reference, written from the course's definitions.
    "reference.py": '''
        import numpy as np


        def leaky_relu_forward(x, slope):
            return np.where(x > 0, x, slope * x)


        def leaky_relu_backward(dout, x, slope):
            return dout * np.where(x > 0, 1.0, slope)
        ''',
    # Step 3: the rubric that prices the components the checks are tagged with.
    "rubric.toml": '''
        name = "tiny-course"
        profile = "tiny-course"

        [components.relu]
        points = 10
        ''',
    # Step 4: the checks, run by the framework with its `student` fixture.
    "checks/__init__.py": "",
    "checks/test_leaky_relu.py": '''
        """leaky_relu_forward and leaky_relu_backward against the reference."""

        import numpy as np
        import pytest

        from grader.checks.expect import expect_close
        from grader.checks.framework import tags, title
        from grader.profiles.tiny_course import reference as R

        X = np.array([[-2.0, -0.5, 0.25], [3.0, -1.0, 0.5]])
        DOUT = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])


        @tags("relu")
        @title("Leaky ReLU: forward")
        @pytest.mark.parametrize("slope", [0.01, 0.2])
        def test_forward(student, slope):
            out = student.call("activations", "leaky_relu_forward", X, slope)
            expect_close(out, R.leaky_relu_forward(X, slope), what="leaky_relu_forward",
                         formula="x where x > 0, else slope * x", diagnosis_id="wrong-forward")


        @tags("relu")
        @title("Leaky ReLU: backward")
        def test_backward(student):
            got = student.call("activations", "leaky_relu_backward", DOUT, X, 0.1)
            expect_close(got, R.leaky_relu_backward(DOUT, X, 0.1), what="leaky_relu_backward",
                         formula="multiply dout by 1 where x > 0 and by slope elsewhere")
        ''',
}

CORRECT = '''
    import numpy as np


    def leaky_relu_forward(x, slope):
        return np.maximum(x, slope * x)


    def leaky_relu_backward(dout, x, slope):
        return np.where(x > 0, dout, slope * dout)
    '''
# The backward forgets the slope: a plain ReLU mask.
BUGGY = CORRECT.replace("np.where(x > 0, dout, slope * dout)", "dout * (x > 0)")


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip())


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the grader with the tiny profile's folder added, and nothing else changed."""
    root = tmp_path_factory.mktemp("checkout")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(grader.__file__).resolve().parent, root / "grader", ignore=ignore)
    shutil.copytree(Path(reference.__file__).resolve().parent, root / "reference", ignore=ignore)
    shutil.copytree(REPO / "rubrics", root / "rubrics")
    write(root / "grader" / "profiles" / "tiny_course", PROFILE_FILES)
    return root


def run_grader(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(checkout), "GRADER_RUBRICS_DIR": str(checkout / "rubrics")}
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          env=env, cwd=checkout, timeout=600)


def graded(checkout: Path, tmp_path: Path, source: str) -> dict:
    submission = tmp_path / "submission"
    write(submission, {"activations.py": source})
    out = tmp_path / "result.json"
    done = run_grader(checkout, "run", str(submission), "--profile", "tiny-course", "--format", "json",
                      "--output", str(out))
    assert out.is_file(), done.stdout + done.stderr
    return json.loads(out.read_text())


def test_the_copied_folder_is_a_profile(checkout: Path):
    listed = run_grader(checkout, "profiles")
    assert listed.returncode == 0, listed.stderr
    assert "tiny-course: A tiny course: leaky ReLU" in listed.stdout
    assert "default:" in listed.stdout and "cs231n-fc:" in listed.stdout


def test_a_correct_submission_gets_full_marks(checkout: Path, tmp_path: Path):
    result = graded(checkout, tmp_path, CORRECT)
    assert [t["score"] for t in result["tests"]] == [t["max_score"] for t in result["tests"]]
    assert len(result["tests"]) == 3 and result["score"] == 10


def test_a_buggy_submission_loses_the_backward_with_its_diagnosis(checkout: Path, tmp_path: Path):
    result = graded(checkout, tmp_path, BUGGY)
    lost = [t for t in result["tests"] if t["score"] < t["max_score"]]
    assert [t["name"] for t in lost] == ["Leaky ReLU: backward"], lost
    assert "`wrong-gradient`" in lost[0]["output"] and "by slope elsewhere" in lost[0]["output"]
    assert result["score"] < 10


def test_profiles_are_found_from_their_folders(tmp_path: Path):
    from grader.profiles import _discover

    for name in ("default", "zeta_course", "alpha", "_private", "no_init"):
        (tmp_path / name).mkdir()
        if name != "no_init":
            (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "notes.py").write_text("")
    assert list(_discover(tmp_path)) == ["default", "alpha", "zeta-course"]


def test_a_profile_named_unlike_its_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import grader.profiles as profiles

    write(tmp_path / "wrong_name", {"__init__.py": PROFILE_FILES["__init__.py"]})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(profiles._PACKAGES, "wrong-name", "wrong_name")
    with pytest.raises(profiles.ProfileError, match=r"names its profile 'tiny-course'.*"
                                                     r'Profile\(name="wrong-name"'):
        profiles.get_profile("wrong-name")
