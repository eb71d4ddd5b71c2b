"""cs231n-fc beyond one year and one update rule: training with every update rule and a
deeper net, dropout in train-mode nets, the 2017 drop-probability convention under the
rubric's [conventions] dropout_p, and the bare `cs231n/` package as the submission. The
mutants and variants are the catalog's block of them (cs231n_catalog.TRAINING_MUTANTS,
YEAR_VARIANTS); the CLI cases go through `grader run` in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import assert_caught, assert_full_marks, describe, grade_in_subprocesses, job

sys.path.insert(0, str(Path(__file__).resolve().parent / "cs231n"))

import cs231n_catalog as catalog  # noqa: E402

RUBRIC = "cs231n-fc"
pytestmark = pytest.mark.slow
DROP_FACT = "dropout graded with p = the DROP probability (the 2017 handout)"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("cs231n-years")
    jobs = []
    for mutant in catalog.TRAINING_MUTANTS:
        path = catalog.materialize(root / mutant.name, mutant.edits)
        jobs.append(job(mutant.name, path, rubric=RUBRIC, include_tags=[mutant.tag],
                        cost=4 if mutant.tag == "training" else 1))
    for variant, setting in catalog.YEAR_VARIANTS:
        path = catalog.materialize(root / variant.name, variant.edits)
        jobs.append(job(variant.name, path, rubric=RUBRIC, include_tags=list(variant.tags),
                        conventions={"dropout_p": setting}, cost=2))
    return grade_in_subprocesses(jobs, root, processes=2)


@pytest.mark.parametrize("mutant", catalog.TRAINING_MUTANTS, ids=[m.name for m in catalog.TRAINING_MUTANTS])
def test_mutant_is_caught(graded, mutant):
    assert_caught(graded[mutant.name], tag=mutant.tag, diagnosis=mutant.diagnosis, bug=mutant.bug)


def _hints(result: dict, check: str) -> str:
    return " ".join(d["hint"] for c in result["checks"] if c["name"].startswith(check)
                    for d in c["diagnoses"])


def test_a_lost_state_is_named_as_such(graded):
    """rmsprop without its cache diverges, and the step check says where it parts."""
    result = graded["rmsprop-cache-not-kept"]
    assert "config" in _hints(result, "test_training.py::test_steps_follow_reference[rmsprop]")
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    # Only the rmsprop recipe fails: the other rules train as the reference does.
    assert {n for n, s in statuses.items() if s != "passed"} <= {
        f"test_training.py::{t}[rmsprop]" for t in ("test_loss_decreases", "test_steps_follow_reference",
                                                    "test_accuracy", "test_no_single_class_collapse")}, describe(result)


def test_a_2017_submission_under_keep_is_told_drop_vs_keep(graded):
    hint = _hints(graded["dropout-2017-graded-as-keep"], "test_dropout.py::test_dropout_train")
    assert "DROPPING" in hint and "KEEPING" in hint and 'dropout_p = "drop"' in hint


@pytest.mark.parametrize("variant", [v for v, _ in catalog.YEAR_VARIANTS], ids=[v.name for v, _ in catalog.YEAR_VARIANTS])
def test_a_2017_submission_gets_full_marks_with_the_rubric_option(graded, variant):
    result = graded[variant.name]
    assert_full_marks(result, variant.style)
    assert any(f.startswith(DROP_FACT) for f in result["artifacts"]["conventions"]), describe(result)


# -- through `grader run` ------------------------------------------------------------------

def grader(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", "run", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def rubric_file(folder: Path, tags: list[str], dropout_p: str = "keep") -> Path:
    """The built-in cs231n-fc rubric (its training recipe, limits, points) on some components."""
    text = (catalog.SOLUTION.parents[3] / "rubrics" / "cs231n-fc.toml").read_text()
    text = text.replace("public_only = false", f"public_only = false\ninclude_tags = {json.dumps(tags)}")
    path = folder / "rubric.toml"
    # The built-in rubric leaves dropout_p unset (a release may imply it); set it explicitly.
    path.write_text(text.replace('# dropout_p = "keep"', f'dropout_p = "{dropout_p}"'))
    return path


def graded_json(*args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = grader(*args, "--format", "json")
    return done, json.loads(done.stdout) if done.stdout.strip() else {}


def test_the_bare_package_grades_as_its_parent(tmp_path: Path):
    parent = catalog.materialize(tmp_path / "assignment")
    rubric = str(rubric_file(tmp_path, ["affine", "update-rules"]))
    whole, from_parent = graded_json(str(parent), "--rubric", rubric)
    bare, from_package = graded_json(str(parent / "cs231n"), "--rubric", rubric)
    assert whole.returncode == bare.returncode == 0, bare.stderr
    assert "is the package itself" in bare.stderr
    assert ([(c["extra_data"]["check"], c["status"], c["score"]) for c in from_package["tests"]]
            == [(c["extra_data"]["check"], c["status"], c["score"]) for c in from_parent["tests"]])
    assert from_package["score"] == from_parent["score"] > 0


def test_a_folder_holding_neither_is_refused_with_what_was_expected(tmp_path: Path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("nothing here")
    done = grader(str(tmp_path / "notes"), "--profile", "cs231n-fc")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "neither holds the package cs231n/" in done.stderr and "layers.py" in done.stderr


def test_the_package_under_another_name_is_told_to_rename_it(tmp_path: Path):
    parent = catalog.materialize(tmp_path / "assignment")
    (parent / "cs231n").rename(parent / "cs231n_2019")
    done = grader(str(parent / "cs231n_2019"), "--profile", "cs231n-fc")
    assert done.returncode == 2 and "rename it cs231n" in done.stderr, done.stderr


def test_missing_course_files_are_named_with_whether_they_matter(tmp_path: Path):
    parent = catalog.materialize(tmp_path / "assignment", removed=("cs231n/layer_utils.py",))
    done = grader(str(parent), "--rubric", str(rubric_file(tmp_path, ["affine"])))
    assert "cs231n/layer_utils.py is missing and it matters" in done.stderr, done.stderr
    assert "cs231n/solver.py is missing; it does not matter" in done.stderr


def test_training_runs_through_grader_run(tmp_path: Path):
    """Every update rule and the deeper net are trained; a rule that loses its state fails
    only its own runs, with the diagnosis naming the state."""
    mutant = next(m for m in catalog.TRAINING_MUTANTS if m.name == "adam-state-not-returned")
    path = catalog.materialize(tmp_path / "adam", mutant.edits)
    done, result = graded_json(str(path), "--rubric", str(rubric_file(tmp_path, ["training"])))
    assert done.returncode == 0, done.stderr  # failed checks are a grade, not an error
    runs = {c["extra_data"]["check"].split("[")[1].rstrip("]") for c in result["tests"]}
    assert runs == {"sgd", "sgd_momentum", "rmsprop", "adam", "deep"}
    failed = [c for c in result["tests"] if c["status"] == "failed"]
    assert [c["extra_data"]["check"] for c in failed] == ["test_training.py::test_steps_follow_reference[adam]"]
    assert "`config-state`" in failed[0]["output"], failed[0]["output"]


def test_the_2017_convention_is_stated_in_the_text_report(tmp_path: Path):
    variant, _ = catalog.YEAR_VARIANTS[0]
    path = catalog.materialize(tmp_path / "y2017", variant.edits)
    done = grader(str(path), "--rubric", str(rubric_file(tmp_path, ["dropout"], "detect")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DROP probability" in done.stdout and "detected from your dropout_forward" in done.stdout
