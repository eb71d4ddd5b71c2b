"""Fixtures for the sandbox tests: submissions, small limits, and a leftover check."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from grader.sandbox import Limits, Sandbox
from grader.sandbox import procs

HERE = Path(__file__).parent
ATTACKS = HERE / "attacks"
GOOD = HERE / "good"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# Small limits so the attacks hit them fast.
FAST = Limits(call_timeout_s=3.0, memory_mb=384, cpu_time_s=30, output_limit_bytes=4096,
              start_timeout_s=10.0)


def attack(name: str) -> Path:
    path = ATTACKS / name
    assert path.is_dir(), path
    return path


def wait_until(predicate: Callable[[], bool], timeout_s: float = 3.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def pid_alive(pid: int) -> bool:
    return not procs.is_zombie(pid)


class Tracker:
    """Remembers every worker's pid, uid and directory, to check nothing outlives the test."""

    def __init__(self) -> None:
        self.sandboxes: list[Sandbox] = []
        self.pids: set[int] = set()
        self.dirs: set[Path] = set()

    def note(self, sb: Sandbox) -> None:
        for pid, workdir in sb.worker_history:
            if pid:
                self.pids.add(pid)
            if workdir is not None:
                self.dirs.add(workdir)

    def check_clean(self) -> None:
        for sb in self.sandboxes:
            self.note(sb)
            uid = sb.sandbox_uid  # None once the test closed it: the lease may be someone else's now
            sb.stop()  # the worker goes, the uid lease stays until checked
            if uid is not None:
                assert wait_until(lambda: not {p for p in procs.of_uid(uid) if pid_alive(p)}), \
                    f"processes of sandbox uid {uid} remain"
            sb.close()
        assert wait_until(lambda: not any(pid_alive(p) for p in self.pids)), "a worker outlived its sandbox"
        for d in self.dirs:
            assert not d.exists(), f"{d} was not removed"


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    t = Tracker()
    yield t
    t.check_clean()


@pytest.fixture
def sandbox(tracker: Tracker) -> Callable[..., Sandbox]:
    """sandbox(path, **kwargs) -> a started Sandbox with FAST limits, closed and checked after the test."""

    def make(path: Path, **kwargs: object) -> Sandbox:
        kwargs.setdefault("limits", FAST)
        sb = Sandbox(path, **kwargs)  # type: ignore[arg-type]
        sb.start()
        tracker.sandboxes.append(sb)
        tracker.note(sb)
        return sb

    return make
