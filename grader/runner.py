"""One grading run: validate the submission, run the checks, collect a GradingResult.

`grade` never raises for anything the student did: that is all data in the
result. It raises `SubmissionError` for input the user must fix (exit code 2)
and `GraderError` when the grader itself broke (exit code 3).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from grader.exitcodes import GraderError
from grader.profiles import ProfileError, check_layout, get_profile, module_file
from grader.results import GradingResult
from grader.rubric import Rubric


class SubmissionError(ValueError):
    """The submission path cannot be graded at all (missing, not a folder, no modules)."""


def validate_submission(submission: Path, rubric: Rubric) -> None:
    files = ", ".join(module_file(m) for m in rubric.modules)
    if not submission.exists():
        raise SubmissionError(f"submission {submission} does not exist; pass the folder that holds "
                              f"{files}")
    if not submission.is_dir():
        raise SubmissionError(f"submission {submission} is a file; pass the folder that holds it")
    try:
        check_layout(submission, get_profile(rubric.profile))
    except ProfileError as exc:
        raise SubmissionError(str(exc)) from None
    if not any((submission / module_file(module)).is_file() for module in rubric.modules):
        raise SubmissionError(
            f"{submission} holds none of {files}; "
            "pass the folder with your modules (start one with `grader init DIR`)")


def grade(submission: Path, rubric: Rubric, *, seed: int | None = None,
          progress: Any = None) -> GradingResult:
    """Grade `submission` under `rubric`; `seed` overrides the rubric's seed."""
    # Imported here so that `grader --help` and usage errors stay fast.
    from grader.checks.plugin import GradingPlugin, run_checks

    submission = Path(submission).resolve()
    validate_submission(submission, rubric)
    seed = rubric.seed if seed is None else seed
    started = time.perf_counter()
    plugin = GradingPlugin(submission, rubric, seed, progress=progress)
    try:
        code = run_checks(plugin)
    finally:
        if progress is not None:
            progress.finish()
    # 0 all passed, 1 some failed, 5 the rubric selected no check: all normal outcomes.
    if code not in (0, 1, 5):
        raise GraderError(plugin.grader_failure or
                          f"the grader's checks could not run (pytest exit code {code}); "
                          "reinstall the grader, and report this if it persists")
    return GradingResult(
        submission=str(submission), checks=plugin.finished_checks(),
        execution_time_s=round(time.perf_counter() - started, 3),
        rubric=str(rubric.path or rubric.name), seed=seed, artifacts=plugin.report_data)
