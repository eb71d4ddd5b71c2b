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
