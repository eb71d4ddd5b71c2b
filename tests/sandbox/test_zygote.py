"""The zygote (speed, issue 21): a run's workers are forked from one process that imported
NumPy once, and each is still its own sandbox: its own supervisor, limits and state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import Sandbox, StudentTimeout
from grader.sandbox.spawn import Zygote
from grader.sandbox.staging import site_dirs

from .conftest import FAST, wait_until

PATCHER = '''
import numpy as np

def patch():
    np.add = lambda *a, **k: "patched"
    np.PATCHED_BY_STUDENT = True
    return 1

def seen():
    return bool(getattr(np, "PATCHED_BY_STUDENT", False)), np.add(1, 2) == 3

def spin():
    while True:
        pass
'''


def cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")


@pytest.fixture
def zygote():
    made = Zygote(site_dirs=site_dirs(), preload=[], forbidden=[])
    yield made
    made.reap()


@pytest.fixture
def two(zygote, tmp_path: Path, tracker):
    (tmp_path / "patcher.py").write_text(PATCHER)
    sandboxes = [Sandbox(tmp_path, limits=FAST) for _ in range(2)]
    for sb in sandboxes:
        tracker.sandboxes.append(sb)
        sb.launch(zygote)
    zygote.settle()
    for sb in sandboxes:
        sb.start()
        tracker.note(sb)
    return sandboxes


def test_workers_are_forked_from_the_zygote_each_under_its_own_supervisor(zygote, two):
    supervisors = [sb._worker.supervisor_pid for sb in two]
    assert len(set(supervisors)) == 2 and len({sb.worker_pid for sb in two}) == 2
    for sb, supervisor in zip(two, supervisors):
        assert parent_of(supervisor) == zygote.proc.pid  # forked, not started as a new Python
        assert "zygote.py" in cmdline(supervisor)
        assert parent_of(sb.worker_pid) == supervisor
        assert sb._worker.forked


def test_a_forked_worker_is_as_protected_as_a_started_one(two, sandbox, tmp_path):
    started = sandbox(tmp_path)
    assert not started._worker.forked
    for sb in two:
        assert set(sb.protections) == set(started.protections)
        assert {k: v for k, v in sb.protections.items() if k != "uid"} == \
            {k: v for k, v in started.protections.items() if k != "uid"}


def test_what_one_worker_changes_the_other_never_sees(two):
    first, second = two
    assert first.call("patcher", "patch") == 1
    assert first.call("patcher", "seen") == [True, False]
    assert second.call("patcher", "seen") == [False, True]
    assert np.add(1, 2) == 3  # nor does the grader


def test_a_forked_worker_that_hangs_is_stopped_and_the_other_runs_on(two):
    first, second = two
    pid, supervisor = first.worker_pid, first._worker.supervisor_pid
    with pytest.raises(StudentTimeout):
        first.call("patcher", "spin", timeout_s=1.0)
    assert wait_until(lambda: gone(pid) and gone(supervisor))  # killed, and reaped by the zygote
    assert second.call("patcher", "seen") == [False, True]
    assert first.call("patcher", "seen") == [False, True]  # a new worker


def test_the_zygote_exits_once_its_sandboxes_are_closed(zygote, two):
    process, folder = zygote.proc, zygote.tmp
    for sb in two:
        sb.close()
    zygote.reap()
    assert process.returncode is not None and not folder.exists()


def test_a_zygote_whose_grader_is_gone_exits_and_removes_its_folder(zygote):
    """As a SIGKILLed grader leaves it: its socket closed, nobody to reap it or clean up."""
    process, folder = zygote.proc, zygote.tmp
    zygote.sock.close()
    zygote.sock = None
    process.wait(timeout=30)
    assert not folder.exists()


def sandbox_folders() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("grader-sandbox-")}


def test_a_dead_zygote_costs_the_start_not_the_worker(zygote, tmp_path, tracker):
    (tmp_path / "patcher.py").write_text(PATCHER)
    zygote.proc.kill()
    zygote.proc.wait()
    before, descriptors = sandbox_folders(), len(os.listdir("/proc/self/fd"))
    sb = Sandbox(tmp_path, limits=FAST)
    tracker.sandboxes.append(sb)
    sb.launch(zygote)  # refused: the launch leaves nothing behind
    assert sb._launched is None and sandbox_folders() == before
    held = 1 if sb._lease is not None else 0  # the uid the Sandbox leases keeps its lock
    assert len(os.listdir("/proc/self/fd")) == descriptors + held
    sb.start()
    tracker.note(sb)
    assert not sb._worker.forked and "supervisor.py" in cmdline(sb._worker.supervisor_pid)
    assert sb.call("patcher", "seen") == [False, True]
