"""Fixtures for the CLI tests: a canned grading result and a fake runner.

Most CLI behaviour (exit codes, messages, where reports go) does not depend on
real grading, so those tests monkeypatch `grader.runner.grade`; the end-to-end
tests (marked slow) run the real runner on real submissions.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from cli_helpers import REFERENCE, FakeGrade
from grader.results import GradingResult


@pytest.fixture
def fake_grade(monkeypatch: pytest.MonkeyPatch) -> Callable[[GradingResult | BaseException], FakeGrade]:
    import grader.runner

    def install(outcome: GradingResult | BaseException) -> FakeGrade:
        fake = FakeGrade(outcome)
        monkeypatch.setattr(grader.runner, "grade", fake)
        return fake

    return install


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """A copy of the reference: a folder that holds the four modules."""
    dest = tmp_path / "student"
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest
