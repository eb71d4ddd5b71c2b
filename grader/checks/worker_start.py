"""The sandbox worker's life in one grading run: started early, used by the checks, closed.

`WorkerLifecycle` is mixed into `grader.checks.plugin.GradingPlugin` (pytest finds its
`pytest_sessionstart` hook on the plugin object): the worker of each check session is
launched when the session starts, so its start-up (a Python with NumPy) runs in its own
process, on the other core, while this process collects the check modules; the first check
then waits for it and imports the submission (`_started_sandbox`). The runner launches the
workers before it imports pytest (`launch_workers`); the session, as it starts, waits for
the thread that launches the second one once the first has started up (`Launched.settled`,
done long before), so no thread is left when the run forks into its two check sessions after
collection (grader.checks.shards): each adopts one launched worker. The run closes the
workers (`close_sandbox`) or the watchdog stops them (`stop_sandbox`). What a worker saw
(blocked functions, discarded output) goes into the report data on the way out.
"""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.sandbox import Limits, Sandbox, SandboxError, StudentFailure
from grader.sandbox.errors import CallBlocked, RunDeadlineReached
from grader.sandbox import spawn
from grader.sandbox.staging import site_dirs

if TYPE_CHECKING:  # pytest itself is imported where it runs: launching workers needs none of it
    import pytest

    from grader.profiles.base import Profile, Release
    from grader.rubric import Rubric


class Launched:
    """The sandboxes of a run's check sessions, launched now without waiting for them. With a
    `zygote` (grader.sandbox.spawn, where the platform has pidfds), all at once: each launch is
    a message, and the zygote's one start-up (a Python with NumPy and the profile's preloaded
    libraries) replaces theirs, whose CPU the grader's own imports paid for (MyTorch's
    self-check ~0.09 s sooner). Without one, either all at once or `one_at_a_time`: the
    first at once, each next one by a thread once the one
    before it has started up (its greeting waits in the pipe). One at a time, a worker's
    start-up (a Python with NumPy, ~0.12 s of CPU) runs on the core this process leaves free:
    launched together, the two workers and this process's imports of pytest and Hypothesis
    shared two cores, and the imports, which everything waits for, took ~0.13 s longer. A
    worker that also loads libraries as it starts (a profile's preload: MyTorch's SciPy, ~0.2 s
    more) would start too late after the other: those start together. `settled()` waits for
    the thread (done long before a check runs): call it before using the sandboxes."""

    def __init__(self, sandboxes: list[Sandbox], *, one_at_a_time: bool = False,
                 zygote: spawn.Zygote | None = None) -> None:
        self._sandboxes = sandboxes
        self._thread: threading.Thread | None = None
        self.zygote = zygote
        if zygote is not None:  # forked from one warm process: all at once, nothing to wait for
            one_at_a_time = False
        for sandbox in sandboxes[:1 if one_at_a_time else None]:
            sandbox.launch(zygote)
        if one_at_a_time and len(sandboxes) > 1:
            self._thread = threading.Thread(target=self._launch_in_turn, name="grader-launch-workers",
                                            daemon=True)
            self._thread.start()

    def _launch_in_turn(self) -> None:
        for before, sandbox in zip(self._sandboxes, self._sandboxes[1:]):
            signal = before.startup_signal()
            if signal is not None:
                try:  # its greeting, or its end (then `start` says what went wrong)
                    ready = select.poll()
                    ready.register(signal, select.POLLIN)
                    ready.poll(int(before.current_limits.start_timeout_s * 1000))
                finally:
                    os.close(signal)
            try:
                sandbox.launch()
            except Exception:  # noqa: BLE001  (the session's own launch, or its start, raises it)
                return

    def settled(self) -> list[Sandbox]:
        """The sandboxes, each launched (or its launch failed: `start` says why)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.zygote is not None:
            self.zygote.settle()
        return self._sandboxes


def launch_workers(submission: Path, rubric: Rubric, count: int, deadline: float | None) -> Launched:
    """`count` sandbox workers for grading `submission` under `rubric`, launched without
    waiting for them (`Launched`: forked from one zygote when there are two or more; else one
    at a time unless the profile preloads libraries): the runner calls this before it imports
    pytest and Hypothesis, so the workers start up meanwhile, on the other core."""
    from grader.profiles import get_profile

    profile = get_profile(rubric.profile)
    release = profile.release_for(submission, rubric.release)
    sandboxes = [new_sandbox(submission, rubric, profile, release, deadline) for _ in range(count)]
    zygote = None
    if count > 1 and spawn.available():
        zygote = spawn.Zygote(site_dirs=site_dirs(), preload=list(profile.preload),
                        forbidden=list(rubric.forbidden_imports))
    return Launched(sandboxes, one_at_a_time=not profile.preload, zygote=zygote)


def new_sandbox(submission: Path, rubric: Rubric, profile: Profile, release: Release | None,
                deadline: float | None) -> Sandbox:
    """A Sandbox for `submission` with the rubric's limits and the profile's (and release's)
    declarations for the course's own code."""
    limits = rubric.limits
    sandbox = Sandbox(submission, limits=Limits(
        call_timeout_s=limits.call_timeout_s, import_timeout_s=limits.import_timeout_s,
        function_budget_s=limits.function_budget_s, memory_mb=limits.memory_mb,
        cpu_time_s=limits.cpu_time_s, output_limit_bytes=limits.output_limit_bytes,
        output_budget_bytes=limits.output_budget_bytes),
        forbidden_imports=tuple(rubric.forbidden_imports), packages=profile.packages,
        provided_files=profile.provided_files,
        handout_imports=profile.handout_imports + (release.handout_imports if release else ()),
        numpy_compat=profile.numpy_compat, preload=profile.preload)
    sandbox.deadline = deadline
    return sandbox


class WorkerLifecycle:
    """Launches, hands out and closes the plugin's sandbox workers (see the module docstring)."""

    # Set by GradingPlugin.__init__.
    submission: Path
    deadline: float | None
    profile: Profile
    graded_release: Release | None
    grader_failure: str
    report_data: dict[str, Any]
    shards: int
    _rubric: Rubric
    _sandbox: Sandbox | None
    _spares: list[Sandbox]  # launched for the other check session (grader.checks.shards)
    _launched: Launched  # launched by the runner (launch_workers), not yet handed out
    _started: bool  # the first check has waited for the worker and imported the submission
    _start_failure: BaseException | None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A worker for each check session, launched now without waiting unless the runner
        launched them already (`launch_workers`): they start up while this process collects.
        Nothing a check sees changes: the first check waits for its session's worker and the
        submission's imports (`_started_sandbox`)."""
        launched = self._launched
        # What is left launched: nothing, but the zygote, reaped at the end (close_launched).
        sandboxes, self._launched = launched.settled()[:self.shards], Launched([], zygote=launched.zygote)
        while len(sandboxes) < self.shards:
            sandboxes.append(self._new_sandbox())
        for sandbox in sandboxes:
            sandbox.launch()
        self._sandbox, self._spares = sandboxes[0], sandboxes[1:]

    def adopt_spare(self) -> None:
        """In the forked check session: use the worker launched for it, and let go of the
        parent's without stopping it."""
        if self._sandbox is not None:
            self._sandbox.forget()
        self._sandbox = self._spares.pop(0) if self._spares else None
        for sandbox in self._spares:
            sandbox.forget()
        self._spares = []

    def _new_sandbox(self) -> Sandbox:
        return new_sandbox(self.submission, self._rubric, self.profile, self.graded_release, self.deadline)

    def _ensure_started(self) -> None:
        """Once, before the first check: wait for the worker, then import the submission; what
        that raised is kept for `_started_sandbox` to raise in the check that needs the worker."""
        if self._started:
            return
        self._started = True
        sandbox = self._sandbox
        if sandbox is None:
            return
        try:
            sandbox.start()
            self._import_submission(sandbox)
        except BaseException as exc:  # noqa: BLE001  (raised in the check, never lost)
            self._start_failure = exc

    def _started_sandbox(self) -> Sandbox:
        """The worker once started, with the submission imported (or its failure remembered)."""
        self._ensure_started()
        failure, self._start_failure = self._start_failure, None
        if isinstance(failure, SandboxError):
            # Without a worker every check would wait out its own start time-out.
            self.grader_failure = f"the sandbox worker could not start: {failure}"
            import pytest

            pytest.exit(self.grader_failure, returncode=pytest.ExitCode.INTERNAL_ERROR)
        if failure is not None:
            raise failure
        if self._sandbox is None:  # the run was stopped (the watchdog) or the worker closed
            raise SandboxError("the sandbox was closed")
        return self._sandbox

    def close_sandbox(self) -> None:
        """After the session: a worker launched but never used by a check is stopped too."""
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            self._record_sandbox_facts(sandbox)
            sandbox.close()

    def close_launched(self) -> None:
        """Workers the runner launched that no session took (pytest never started one); then
        the zygote they were forked from, once its last supervisor is gone."""
        launched, self._launched = self._launched, Launched([])
        for sandbox in launched.settled():
            sandbox.close()
        if launched.zygote is not None:
            launched.zygote.reap()

    def close_spares(self) -> None:
        """The workers launched for a check session this process did not fork (or whose
        session has ended: its worker is stopped, if it still runs, and reaped here)."""
        spares, self._spares = self._spares, []
        for sandbox in spares:
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
        for spare in list(self._spares):
            spare.stop()

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
