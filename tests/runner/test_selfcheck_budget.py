"""`grader check` of a course profile is held to the self-check's budget (speed, issue 21):
the same checks as `grader run`, fewer examples and a smaller training run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.rubric import load_rubric
from grader.selfcheck import SELF_CHECK_RUBRIC, self_check_rubric


@pytest.mark.parametrize("name", ["mytorch-hw1p1", "cs231n-fc"])
def test_a_course_rubric_is_checked_within_the_self_check_budget(name: str) -> None:
    full, budget = load_rubric(name), load_rubric(SELF_CHECK_RUBRIC)
    checked = self_check_rubric(full)
    assert checked.public_only
    assert checked.hypothesis_max_examples == budget.hypothesis_max_examples < full.hypothesis_max_examples
    assert checked.hypothesis_min_examples == budget.hypothesis_min_examples < full.hypothesis_min_examples
    assert (checked.training.n_train, checked.training.n_test) == (budget.training.n_train,
                                                                   budget.training.n_test)
    assert checked.training.n_train < full.training.n_train
    assert checked.training.min_accuracy == budget.training.min_accuracy < full.training.min_accuracy
    assert checked.training.accuracy_margin == budget.training.accuracy_margin
    # What is checked and how it is priced stay the course's own.
    assert (checked.components, checked.checks, checked.modules, checked.profile) == (
        full.components, full.checks, full.modules, full.profile)
    assert (checked.training.hidden, checked.training.lr, checked.training.batch_size) == (
        full.training.hidden, full.training.lr, full.training.batch_size)


def test_the_default_self_check_is_the_selfcheck_rubric_itself() -> None:
    selfcheck = load_rubric(SELF_CHECK_RUBRIC)
    assert self_check_rubric(selfcheck).to_dict() == selfcheck.with_overrides(public_only=True).to_dict()


PROFILES = Path(__file__).resolve().parents[1] / "profiles"


@pytest.mark.parametrize(("profile", "solution"), [("mytorch-hw1p1", PROFILES / "mytorch" / "solution"),
                                                   ("cs231n-fc", PROFILES / "cs231n" / "solution")])
def test_a_correct_course_solution_passes_its_smaller_self_check(profile: str, solution: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(solution), "--profile", profile],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(100.0%)" in done.stdout and "Traceback" not in done.stdout + done.stderr
