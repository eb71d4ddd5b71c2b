"""The sandbox worker's life in one grading run: started early, used by the checks, closed.

`WorkerLifecycle` is mixed into `grader.checks.plugin.GradingPlugin` (pytest finds its
`pytest_sessionstart` hook on the plugin object): the worker starts on a thread while
pytest collects the check modules, every check waits for that start to end, and the run
closes the worker (`close_sandbox`) or the watchdog stops it (`stop_sandbox`). What the
worker saw (blocked functions, discarded output) goes into the report data on the way out.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from grader.sandbox import Limits, Sandbox, SandboxError, StudentFailure
from grader.sandbox.errors import CallBlocked, RunDeadlineReached

if TYPE_CHECKING:
    from grader.profiles.base import Profile, Release
    from grader.rubric import Rubric


class WorkerLifecycle:
    """Starts, hands out and closes the plugin's sandbox worker (see the module docstring)."""

    # Set by GradingPlugin.__init__.
    submission: Path
    deadline: float | None
    profile: Profile
    graded_release: Release | None
    grader_failure: str
    report_data: dict[str, Any]
    _rubric: Rubric
    _sandbox: Sandbox | None
    _starting: threading.Thread | None  # the worker's start (pytest_sessionstart)
    _start_failure: BaseException | None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Start the worker on a thread now: its start-up (a Python with NumPy, then the
        submission's imports) runs in the worker process, on the other core, while this
        process imports and collects the check modules. Nothing a check sees changes: every
        check waits for the start to end (`_started_sandbox`) before it runs."""
        sandbox = self._new_sandbox()
        self._sandbox = sandbox
        self._starting = threading.Thread(target=self._start, args=(sandbox,), daemon=True,
                                          name="grader-sandbox-start")
        self._starting.start()

    def _new_sandbox(self) -> Sandbox:
        limits = self._rubric.limits
        sandbox = Sandbox(self.submission, limits=Limits(
            call_timeout_s=limits.call_timeout_s, import_timeout_s=limits.import_timeout_s,
            function_budget_s=limits.function_budget_s, memory_mb=limits.memory_mb,
            cpu_time_s=limits.cpu_time_s, output_limit_bytes=limits.output_limit_bytes,
            output_budget_bytes=limits.output_budget_bytes),
            forbidden_imports=tuple(self._rubric.forbidden_imports), packages=self.profile.packages,
            provided_files=self.profile.provided_files,
            handout_imports=self.profile.handout_imports + (
                self.graded_release.handout_imports if self.graded_release else ()),
            numpy_compat=self.profile.numpy_compat)
        sandbox.deadline = self.deadline
        return sandbox

    def _start(self, sandbox: Sandbox) -> None:
        """The start thread: the worker, then the submission's imports; what it raised is kept
        for `_started_sandbox` to raise in the check that needs the worker."""
        try:
            sandbox.start()
            self._import_submission(sandbox)
        except BaseException as exc:  # noqa: BLE001  (handed to the main thread, never lost)
            self._start_failure = exc

    def _wait_for_start(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def _started_sandbox(self) -> Sandbox:
        """The worker once started, with the submission imported (or its failure remembered)."""
        self._wait_for_start()
        failure, self._start_failure = self._start_failure, None
        if isinstance(failure, SandboxError):
            # Without a worker every check would wait out its own start time-out.
            self.grader_failure = f"the sandbox worker could not start: {failure}"
            pytest.exit(self.grader_failure, returncode=pytest.ExitCode.INTERNAL_ERROR)
        if failure is not None:
            raise failure
        if self._sandbox is None:  # the run was stopped (the watchdog) or the worker closed
            raise SandboxError("the sandbox was closed")
        return self._sandbox

    def close_sandbox(self) -> None:
        """After the session: a worker started but never used by a check is stopped too."""
        self._wait_for_start()
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            self._record_sandbox_facts(sandbox)
            sandbox.close()

    def _import_submission(self, sandbox: Sandbox) -> None:
        """Import every module once before the checks, so that a module that hangs at import
        is blamed on its import (the api check reports it) instead of on the first check
        that happened to need it; its failure is remembered and repeated by the checks."""
        sandbox.ledger.context = "while importing the submission, before the checks"
        for module in self._rubric.modules:
            try:
                sandbox.import_module(module)
            except (StudentFailure, CallBlocked):
                pass  # each check that needs the module reports it
            except RunDeadlineReached:
                break
        sandbox.ledger.context = ""  # set to each check's name as it starts

    # -- the watchdog's view (runner._overrun_result, from another thread) ----------
    def stop_sandbox(self) -> None:
        sandbox = self._sandbox
        if sandbox is not None:
            self._record_sandbox_facts(sandbox)
            sandbox.stop()

    def _student_output(self) -> str:
        return self._sandbox.last_output if self._sandbox is not None else ""

    def _record_sandbox_facts(self, sandbox: Sandbox) -> None:
        """What the reports say about time and output: blocked functions, discarded output."""
        blocked = sandbox.ledger.summary()
        if blocked:
            self.report_data["blocked_functions"] = blocked
        stats = sandbox.output_stats
        if stats.discarded:
            self.report_data["student_output"] = {
                "read_bytes": stats.read, "discarded_bytes": stats.discarded, "muted": stats.muted,
                "discarded_by_check": dict(stats.by_context)}


#: The report data `_record_sandbox_facts` writes (per session: see merge_sandbox_facts).
SANDBOX_FACTS = ("blocked_functions", "student_output")


def merge_sandbox_facts(key: str, mine: Any, theirs: Any, order: list[str]) -> Any:
    """One report fact of two sessions' sandboxes (grader.checks.shards): the blocked
    functions of both, in the order of the checks they were blocked in; the output read
    and discarded, added up. `order`: every check's name, in the report's order."""
    if key == "blocked_functions" and isinstance(mine, list) and isinstance(theirs, list):
        position = {name: i for i, name in enumerate(order)}
        return sorted(mine + theirs, key=lambda record: position.get(record.get("check"), len(order)))
    if key == "student_output" and isinstance(mine, dict) and isinstance(theirs, dict):
        return {"read_bytes": mine.get("read_bytes", 0) + theirs.get("read_bytes", 0),
                "discarded_bytes": mine.get("discarded_bytes", 0) + theirs.get("discarded_bytes", 0),
                "muted": bool(mine.get("muted")) or bool(theirs.get("muted")),
                "discarded_by_check": {**mine.get("discarded_by_check", {}),
                                       **theirs.get("discarded_by_check", {})}}
    return mine
