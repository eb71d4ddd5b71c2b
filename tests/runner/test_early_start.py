"""The worker starts while pytest collects the checks (speed, issue 21: the second core),
and nothing a check sees changes: the submission is imported before any check, a worker
no check used is stopped, and a start that fails is still the run's one grader failure."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from grading_helpers import REFERENCE

from grader.checks.plugin import GradingPlugin
from grader.rubric import load_rubric
from grader.sandbox import SandboxError


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a worker that runs as another user is still there
        return True
    return True


@pytest.fixture
def plugin() -> GradingPlugin:
    return GradingPlugin(REFERENCE, load_rubric("selfcheck"), 0)


def test_the_worker_started_at_session_start_has_the_submission_imported(plugin: GradingPlugin) -> None:
    plugin.pytest_sessionstart(None)  # type: ignore[arg-type]
    sandbox = plugin._started_sandbox()
    pid = sandbox.worker_pid
    assert pid is not None and alive(pid)
    assert sandbox.ledger.context == ""  # no check has started: none is blamed for the imports
    assert sandbox._imported == set(load_rubric("selfcheck").modules)  # before any check
    relu = sandbox.new("layers", "ReLU")
    assert relu.call("forward", np.array([[-1.0, 2.0]])).tolist() == [[0.0, 2.0]]
    plugin.close_sandbox()
    assert plugin._sandbox is None and sandbox.worker_pid is None


def test_a_worker_no_check_used_is_stopped_after_the_session(plugin: GradingPlugin) -> None:
    plugin.shards = 2  # one worker launched for each check session (grader.checks.shards)
    plugin.pytest_sessionstart(None)  # type: ignore[arg-type]
    sandboxes = [plugin._sandbox, *plugin._spares]
    supervisors = [s._launched.proc.pid for s in sandboxes]  # type: ignore[union-attr]
    assert len(supervisors) == 2 and all(alive(pid) for pid in supervisors)
    plugin.close_sandbox()
    plugin.close_spares()
    assert plugin._sandbox is None and plugin._spares == []
    assert not any(alive(pid) for pid in supervisors)  # stopped and reaped, never greeted
    plugin.close_sandbox()  # twice (the student fixture closed it first): nothing left to do


def test_a_worker_that_cannot_start_ends_the_run_as_a_grader_failure(plugin: GradingPlugin,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_start(self: object) -> None:
        raise SandboxError("simulated: no interpreter")

    monkeypatch.setattr("grader.sandbox.client.Sandbox.start", cannot_start)
    plugin.pytest_sessionstart(None)  # type: ignore[arg-type]
    with pytest.raises(pytest.exit.Exception):
        plugin._started_sandbox()
    assert plugin.grader_failure == "the sandbox worker could not start: simulated: no interpreter"
    plugin.close_sandbox()


def test_workers_are_launched_before_pytest_is_imported(tmp_path: Path) -> None:
    """The runner launches the workers first, so their start-up overlaps the grader's own
    imports of pytest and Hypothesis: what it needs for that must not import them."""
    import subprocess
    import sys

    probe = ("import sys\n"
             "from grader.checks.shards import sessions\n"
             "from grader.checks.worker_start import launch_workers\n"
             "heavy = sorted(m for m in ('pytest', 'hypothesis', '_pytest') if m in sys.modules)\n"
             "assert not heavy, heavy\n"
             "assert sessions() >= 1\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_runner_hands_its_launched_workers_to_the_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.checks import worker_start
    from grader.runner import grade

    launched: list[list[object]] = []
    real = worker_start.launch_workers

    def spy(*args: object, **kwargs: object) -> list[object]:
        launched.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return launched[-1]

    monkeypatch.setattr(worker_start, "launch_workers", spy)
    started: list[int] = []
    original_start = worker_start.Sandbox.start

    def counting_start(self: object) -> None:
        started.append(id(self))
        original_start(self)  # type: ignore[arg-type]

    monkeypatch.setattr(worker_start.Sandbox, "start", counting_start)
    result = grade(REFERENCE, load_rubric("selfcheck"))
    assert result.score == result.max_score > 0
    assert len(launched) == 1 and launched[0].settled()
    # The parent's worker is one the runner launched (the child's starts in the child).
    assert started and started[0] in {id(s) for s in launched[0].settled()}


def _readable(fd: int) -> bool:
    import select

    ready = select.poll()
    ready.register(fd, select.POLLIN)
    return bool(ready.poll(0))


def test_a_second_worker_is_launched_once_the_first_has_started_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a zygote (no pidfd here), one worker starts up beside the grader at a time: the
    second session's is launched (from a thread) only when the first one's greeting is
    waiting, and `settled` hands over both, launched."""
    from grader.checks import worker_start
    from grader.sandbox.client import Sandbox

    monkeypatch.delattr(os, "pidfd_open")
    seen: list[bool | None] = []
    real_launch = Sandbox.launch
    first: list[Sandbox] = []

    def spying_launch(self: Sandbox, zygote: object = None) -> None:
        assert zygote is None
        if first and self is not first[0] and self._launched is None and self._worker is None:
            signal = first[0].startup_signal()
            seen.append(None if signal is None else _readable(signal))
            if signal is not None:
                os.close(signal)
        elif not first:
            first.append(self)
        real_launch(self)

    monkeypatch.setattr(Sandbox, "launch", spying_launch)
    launched = worker_start.launch_workers(REFERENCE, load_rubric("selfcheck"), 2, None)
    sandboxes = launched.settled()
    try:
        assert seen == [True]  # launched once the first one's greeting was there, not before
        assert all(s._launched is not None for s in sandboxes)
        assert all(s.start() is None and s.worker_pid for s in sandboxes)
    finally:
        for sandbox in sandboxes:
            sandbox.close()


@pytest.mark.parametrize("rubric_name", ["selfcheck", "mytorch-hw1p1"])
def test_a_runs_workers_are_forked_together_from_one_zygote(rubric_name: str) -> None:
    """Two sessions' workers share one Python start and one import of NumPy (and MyTorch's
    SciPy): both are asked of the zygote before the call returns, and are forked from it."""
    from grader.checks import worker_start

    solution = REFERENCE if rubric_name == "selfcheck" else \
        REFERENCE.parent / "tests" / "profiles" / "mytorch" / "solution"
    launched = worker_start.launch_workers(solution, load_rubric(rubric_name), 2, None)
    zygote = launched.zygote
    assert zygote is not None and zygote.proc is not None
    try:
        assert launched._thread is None  # no thread: both launched before the call returned
        sandboxes = launched.settled()
        assert all(s._launched is not None for s in sandboxes)
        for sandbox in sandboxes:
            sandbox.start()
            assert sandbox._worker.forked and sandbox.worker_pid
    finally:
        for sandbox in launched.settled():
            sandbox.close()
        zygote.reap()
    assert zygote.proc is None and not zygote.tmp.exists()


def test_the_zygote_is_reaped_when_the_run_closes_its_workers(plugin: GradingPlugin) -> None:
    from grader.checks.worker_start import launch_workers

    plugin._launched = launch_workers(REFERENCE, load_rubric("selfcheck"), 2, None)
    process = plugin._launched.zygote.proc
    plugin.shards = 2
    plugin.pytest_sessionstart(None)  # type: ignore[arg-type]
    plugin._started_sandbox()
    plugin.close_sandbox()
    plugin.close_spares()
    plugin.close_launched()
    assert process.returncode is not None
