"""Issue 20's framework pieces end to end, on a throwaway course profile (scope_fixture/):
the release detected or set in the rubric, components it does not assign, checks beyond
the course's own tests, not_assigned(), course_misses, provided files, handout imports and
NumPy shims. Grading runs pytest in-process, so each grading is a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.profiles.base import Release
from grader.rubric import RubricError, loads_rubric

FIXTURE = Path(__file__).resolve().parent / "scope_fixture"
REPO = Path(__file__).resolve().parents[2]

RUBRIC = """
name = "scope-test"
profile = "scope-test"
modules = ["layers"]
forbidden_imports = ["torch"]
{top}
[components.relu]
points = 10

[components.linear]
points = 6
{tables}
"""

# v1: has affine_forward; relu_forward edits x in place (a beyond-course finding) and
# overflows nowhere; relu_backward ignores dout (a scored bug the course misses). It
# writes the handout's lines (past.builtins, np.reshape(newshape=)) and uses the provided
# fast.py, which imports torch.
V1_BUGGY = {
    "scope_marker.txt": "",
    "layers.py": """
        import numpy as np
        from past.builtins import xrange
        from fast import double


        def relu_forward(x):
            x[x < 0] = 0
            return np.reshape(x, newshape=x.shape)


        def relu_backward(dout, x):
            return (x > 0).astype(float)


        def affine_forward(x, w, b):
            return x @ w + b


        def via_provided(x):
            return double(x)
        """,
    "fast.py": """
        import numpy as np
        import torch


        def double(x):
            return 2 * np.asarray(x)
        """,
}

# v2: no affine_forward (the v2 handout moved it); everything it assigns is right.
V2_CLEAN = {
    "scope_marker.txt": "",
    "layers.py": """
        import numpy as np


        def relu_forward(x):
            return np.maximum(x, 0)


        def relu_backward(dout, x):
            return dout * (x > 0)
        """,
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def grade(tmp_path: Path, files: dict[str, str], *, top: str = "", tables: str = "") -> dict:
    submission = write(tmp_path / "sub", files)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC.format(top=top, tables=tables))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(FIXTURE / "grade_scope.py"), str(submission), str(rubric),
                           str(out)], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    result["reports"] = {p.name: p.read_text() for p in out.iterdir() if p.name != "result.json"}
    return result


def by_test(result: dict) -> dict[str, dict]:
    return {c["name"].split("::")[-1]: c for c in result["checks"]}


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return grade(tmp_path_factory.mktemp("v1"), V1_BUGGY)


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return grade(tmp_path_factory.mktemp("v2"), V2_CLEAN)


def test_the_release_is_detected_and_said(v1, v2):
    assert (v1["release"], v1["release_why"]) == ("v1", "layers.py defines affine_forward")
    assert v2["release"] == "v2"
    assert "graded as v2: layers.py has no affine_forward" in v2["reports"]["report.txt"].replace("\n", " ")


def test_a_component_the_release_does_not_assign_is_not_run_nor_counted(v2):
    checks = by_test(v2)
    assert "test_affine" not in checks and "test_uses_provided" not in checks
    assert v2["not_assigned"] == [{"component": "linear", "points": 6.0,
                                   "reason": "layers.py has no affine_forward (the v2 handout moved it)"}]
    assert v2["max_score"] == pytest.approx(7.5)  # relu's 10, less the not-assigned check's share
    assert v2["score"] == pytest.approx(v2["max_score"])
    assert "Not part of this assignment" in v2["reports"]["report.txt"]


def test_not_assigned_inside_a_check_gives_no_points_either_way(v1, v2):
    assert by_test(v2)["test_relu_v1_only"]["status"] == "not-assigned"
    assert by_test(v2)["test_relu_v1_only"]["max_score"] == 0
    assert by_test(v1)["test_relu_v1_only"]["status"] == "passed"


def test_a_beyond_course_finding_is_reported_with_its_line_but_costs_nothing(v1):
    mutation = by_test(v1)["test_relu_keeps_input"]
    assert mutation["status"] == "failed" and mutation["max_score"] == 0
    assert mutation["beyond_course"] == "the course's own tests never look at x after the call"
    assert mutation["diagnoses"][0]["id"] == "input-mutation"
    assert "layers.py line 8: `x[x < 0] = 0`" in mutation["diagnoses"][0]["hint"]
    assert "Beyond the course's own tests: no points" in v1["reports"]["report.txt"]


def test_a_check_the_release_itself_tests_is_scored_there(v1, v2):
    assert by_test(v1)["test_relu_large_inputs"]["beyond_course"]
    assert by_test(v1)["test_relu_large_inputs"]["max_score"] == 0
    large = by_test(v2)["test_relu_large_inputs"]  # release v2's course_tests lists it
    assert large["beyond_course"] == "" and large["max_score"] > 0


def test_a_scored_bug_the_course_misses_says_so(v1):
    backward = by_test(v1)["test_relu_backward"]
    assert backward["status"] == "failed" and backward["max_score"] > 0 and backward["score"] == 0
    assert backward["course_misses"].startswith("the course's own tests give full marks")
    assert "Not caught by the course's own tests" in v1["reports"]["report.md"]


def test_handout_lines_and_provided_files_do_not_cost_points(v1):
    checks = by_test(v1)
    # past.builtins, np.reshape(newshape=) and fast.py's `import torch` all import and run.
    assert checks["test_relu_values"]["status"] == "passed"
    assert checks["test_uses_provided"]["status"] == "passed"
    assert checks["test_affine"]["status"] == "passed"


def test_the_rubric_can_choose_the_release_and_score_beyond_course(tmp_path):
    result = grade(tmp_path, V2_CLEAN, top="score_beyond_course = true",
                   tables='[conventions]\nrelease = "v1"\n')
    assert result["release"] == "v1"
    assert result["release_why"] == "set in the rubric ([conventions] release)"
    checks = by_test(result)
    assert checks["test_affine"]["status"] == "failed"  # v1 assigns it; this folder lacks it
    assert checks["test_relu_keeps_input"]["max_score"] > 0  # beyond-course, scored by the rubric
    assert result["not_assigned"] == []


def test_the_rubric_can_price_one_beyond_course_check(tmp_path):
    result = grade(tmp_path, V1_BUGGY,
                   tables='[checks."test_scope.py::test_relu_keeps_input"]\npoints = 2\n')
    mutation = by_test(result)["test_relu_keeps_input"]
    assert (mutation["max_score"], mutation["score"], mutation["status"]) == (2.0, 0.0, "failed")
    assert by_test(result)["test_relu_large_inputs"]["max_score"] == 0  # the others stay free


# -- the rubric's keys, without grading ------------------------------------------------------

@pytest.fixture
def scope_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.profiles as profiles
    import grader.rubric.validation as rubric_validation

    monkeypatch.syspath_prepend(str(FIXTURE))
    monkeypatch.setitem(profiles._PACKAGES, "scope-test", "scope_profile")
    names = tuple(profiles._PACKAGES)
    monkeypatch.setattr(profiles, "PROFILE_NAMES", names)
    monkeypatch.setattr(rubric_validation, "PROFILE_NAMES", names)


def test_an_unknown_release_is_refused_naming_the_releases(scope_profile):
    with pytest.raises(RubricError) as caught:
        loads_rubric(RUBRIC.format(top="", tables='[conventions]\nrelease = "v9"\n'))
    assert "conventions.release" in str(caught.value) and "v1" in str(caught.value)


def test_release_and_score_beyond_course_survive_overrides(scope_profile):
    rubric = loads_rubric(RUBRIC.format(top="score_beyond_course = false",
                                        tables='[conventions]\nrelease = "v2"\n'))
    again = rubric.with_overrides(seed=3)
    assert (again.release, again.score_beyond_course, again.seed) == ("v2", False, 3)


def test_a_release_implies_its_conventions_unless_the_rubric_sets_them(scope_profile, tmp_path):
    from grader.checks.plugin import GradingPlugin

    folder = write(tmp_path / "v2", V2_CLEAN)
    implied = GradingPlugin(folder, loads_rubric(RUBRIC.format(top="", tables="")), 0)
    assert implied.graded_release.name == "v2"
    assert implied._rubric.conventions == {"slope": "steep"}
    chosen = loads_rubric(RUBRIC.format(top="", tables='[conventions]\nslope = "flat"\n'))
    assert GradingPlugin(folder, chosen, 0)._rubric.conventions == {"slope": "flat"}
    v1 = write(tmp_path / "v1", V1_BUGGY)
    assert GradingPlugin(v1, loads_rubric(RUBRIC.format(top="", tables="")), 0)._rubric.conventions \
        == {"slope": "flat"}  # v1 implies nothing: the profile's default


def test_a_profile_without_releases_refuses_the_key():
    with pytest.raises(RubricError) as caught:
        loads_rubric('profile = "default"\n[conventions]\nrelease = "x"\n')
    assert "release" in str(caught.value)


def test_a_release_prints_as_its_name_in_failing_examples() -> None:
    """Hypothesis shows the `release` fixture in the smallest failing example a student reads:
    the name is what identifies it; its component sets and notebook test ids would bury the input."""
    release = Release("CS231n 2021-2024 assignment2", why="fc_net.py defines FullyConnectedNet only",
                      assigned=frozenset({"affine", "relu"}), course_tests=("test_layers.py::test_relu",))
    assert repr(release) == "Release('CS231n 2021-2024 assignment2')"
    assert "affine" not in repr(release) and "test_layers" not in repr(release)


def test_a_release_in_a_falsifying_example_is_its_name():
    # Hypothesis pretty-prints a dataclass field by field (30 lines in a student's report).
    from hypothesis.vendor.pretty import pretty

    from grader.profiles.cs231n_fc.releases import OLD_A2

    assert pretty(OLD_A2) == "Release('CS231n 2016-2020 assignment2')"
