"""Shared helpers of the CLI tests (a uniquely named module: `conftest` is ambiguous across tests/)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from grader.results import CheckResult, Diagnosis, GradingResult

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
MODULES = ("layers", "losses", "optim", "network")


def make_result(submission: str = "sub", *, passed: int = 3, failed: int = 1) -> GradingResult:
    """`passed` checks worth 10 each at full marks, `failed` at 0 with a diagnosis."""
    checks = [CheckResult(name=f"test_linear.py::test_ok_{i}", max_score=10.0, score=10.0,
                          tags=["linear"]) for i in range(passed)]
    checks += [CheckResult(name=f"test_losses.py::test_bad_{i}", max_score=10.0, score=0.0,
                           status="failed", tags=["cross-entropy"],
                           diagnoses=[Diagnosis("loss-reduction", "Average the loss over the batch.")],
                           message="loss is N times too large") for i in range(failed)]
    return GradingResult(submission=submission, checks=checks, execution_time_s=1.0,
                         rubric="default", seed=1)


class FakeGrade:
    """Stands in for grader.runner.grade; records each call's arguments."""

    def __init__(self, outcome: GradingResult | BaseException) -> None:
        self.outcome = outcome
        self.calls: list[dict[str, Any]] = []

    def __call__(self, submission: Path, rubric: Any, *, seed: int | None = None,
                 progress: Any = None, on_overrun: Any = None, started_at: Any = None,
                 while_waiting: Any = None) -> GradingResult:
        self.calls.append({"submission": submission, "rubric": rubric, "seed": seed})
        if while_waiting is not None:  # as a run with two check sessions does
            while_waiting()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def make_submission(dest: Path, overlay: str | None = None) -> Path:
    """The reference, with the files of tests/cli/submissions/<overlay>/ on top."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    if overlay is not None:
        for file in (SUBMISSIONS / overlay).glob("*.py"):
            shutil.copyfile(file, dest / file.name)
    return dest


def members_of_group(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # pgrp is field 5; zombies hold nothing
            members.append(int(proc.name))
    return members



def members_after_kill(pgid: int, within_s: float = 10.0) -> list[int]:
    """The members of process group `pgid` still alive after up to `within_s` seconds: a
    SIGKILLed process may still be exiting (unmapping its memory) when its killer returns."""
    deadline = time.monotonic() + within_s
    while (alive := members_of_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive