"""One grading run: validate the submission, run the checks, collect a GradingResult.

`grade` never raises for anything the student did: that is all data in the
result. It raises `SubmissionError` or `DataError` for input the user must fix
(exit code 2), before any check runs, and `GraderError` when the grader itself
broke (exit code 3).

Time: the run ends within `limits.run_timeout_s`. The checks stop starting
`REPORT_RESERVE_S` before it (what is left is reported as not run), leaving
time to write the reports; a watchdog hands the partial result to `on_overrun`
should the grader itself still be busy `WATCHDOG_GRACE_S` after the limit.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from grader.exitcodes import GraderError
from grader.profiles import ProfileError, check_layout, get_profile, module_file
from grader.results import GradingResult
from grader.rubric import Rubric

# Seconds kept, out of limits.run_timeout_s, for writing the reports after the last check.
REPORT_RESERVE_S = 5.0
# Seconds past limits.run_timeout_s before the watchdog gives up on the main thread.
WATCHDOG_GRACE_S = 10.0
# Tags whose checks train on MNIST: the data set is loaded (and validated) before grading.
DATA_TAGS = frozenset({"training", "performance"})


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


def grade(submission: Path, rubric: Rubric, *, seed: int | None = None, progress: Any = None,
          on_overrun: Callable[[GradingResult], None] | None = None,
          started_at: float | None = None, while_waiting: Callable[[], None] | None = None) -> GradingResult:
    """Grade `submission` under `rubric`; `seed` overrides the rubric's seed.

    `started_at`: the time.monotonic() the run's limit counts from (the CLI
    passes its process start, so the limit covers start-up too); default now.

    `while_waiting()`: work this process does once either check session is over, on a thread
    of its own (the CLI imports the report writer it will use): while the other session ends.

    `on_overrun(partial_result)` is called from a watchdog thread if grading is
    still running `WATCHDOG_GRACE_S` after `limits.run_timeout_s`; it should
    write the reports and end the process (the main thread may be stuck).
    """
    from grader.checks.shards import sessions
    from grader.checks.worker_start import launch_workers

    submission = Path(submission).resolve()
    validate_submission(submission, rubric)
    seed = rubric.seed if seed is None else seed
    started = time.perf_counter()
    run_timeout = float(rubric.limits.run_timeout_s)
    origin = time.monotonic() if started_at is None else started_at
    deadline = origin + max(run_timeout - REPORT_RESERVE_S, run_timeout / 2)
    dataset = _load_data(rubric, seed)  # bad --data is exit 2 before any check runs
    # The workers start up (a Python with NumPy each), one at a time, while this process
    # imports pytest and Hypothesis and collects the checks.
    workers = launch_workers(submission, rubric, sessions(), deadline)
    # Imported here so that `grader --help` and usage errors stay fast.
    from grader.checks.plugin import GradingPlugin, run_checks
    from grader.firstrun import first_run_artifact

    plugin = GradingPlugin(submission, rubric, seed, progress=progress, deadline=deadline,
                           dataset=dataset, workers=workers, while_waiting=while_waiting)

    def result_so_far() -> GradingResult:
        return GradingResult(
            submission=str(submission), checks=plugin.finished_checks(),
            execution_time_s=round(time.perf_counter() - started, 3),
            rubric=str(rubric.path or rubric.name), seed=seed, artifacts=plugin.report_data,
            release=plugin.graded_release.name if plugin.graded_release else "",
            release_why=plugin.graded_release.why if plugin.graded_release else "",
            not_assigned=list(plugin.not_assigned))

    watchdog = None
    if on_overrun is not None:
        watchdog = threading.Timer(max(0.0, origin + run_timeout + WATCHDOG_GRACE_S - time.monotonic()),
                                   lambda: on_overrun(_overrun_result(plugin, result_so_far)))
        watchdog.daemon = True
        watchdog.start()
    try:
        code = run_checks(plugin)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if progress is not None:
            progress.finish()
    # 0 all passed, 1 some failed, 5 the rubric selected no check: all normal outcomes.
    if code not in (0, 1, 5):
        raise GraderError(plugin.grader_failure or
                          f"the grader's checks could not run (pytest exit code {code}); "
                          "reinstall the grader, and report this if it persists")
    result = result_so_far()
    order = plugin.profile.handout_order(plugin.graded_release) if plugin.profile.handout_order else None
    first_run = first_run_artifact(submission, rubric.modules, result.checks, order)
    if first_run is not None:
        result.artifacts["first_run"] = first_run
    return result


def _load_data(rubric: Rubric, seed: int) -> Any:
    """The training checks' data set, or None when no selected component trains."""
    if rubric.include_tags is not None and not DATA_TAGS & set(rubric.include_tags):
        return None
    from grader.data import load_dataset

    training = rubric.training
    return load_dataset(training.dataset, seed=seed, n_train=training.n_train, n_test=training.n_test)


def _overrun_result(plugin: Any, result_so_far: Callable[[], GradingResult]) -> GradingResult:
    """The report of a run whose grader overran its limit: every unfinished check is not run."""
    plugin.stop_partner()  # the second check session (grader.checks.shards)
    plugin.stop_sandbox()
    plugin.deadline_hit = plugin.deadline_hit or plugin.running or "the last check"
    plugin.mark_unfinished_not_run()
    return result_so_far()
