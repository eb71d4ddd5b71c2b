"""Finding and killing processes through /proc (Linux). Stdlib only.

Used by the supervisor (its descendants: orphans re-parent to it because it
is a child subreaper) and by the grader as a last resort (every process of
the sandbox's dedicated uid).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Iterable


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, real uid) of pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        # comm (field 2) may contain spaces and parentheses: parse after the last ')'.
        fields = data[data.rindex(b")") + 2:].split()
        ppid = int(fields[1])
        uid = os.stat(f"/proc/{pid}").st_uid
    except (OSError, ValueError, IndexError):
        return None
    return ppid, uid


def all_processes() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, uid) for every visible process."""
    out: dict[int, tuple[int, int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if name.isdigit():
            info = _stat(int(name))
            if info is not None:
                out[int(name)] = info
    return out


def descendants(root: int, procs: dict[int, tuple[int, int]] | None = None) -> set[int]:
    """Every process whose parent chain reaches `root` (root excluded)."""
    procs = all_processes() if procs is None else procs
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def of_uid(uid: int, procs: dict[int, tuple[int, int]] | None = None) -> set[int]:
    procs = all_processes() if procs is None else procs
    return {pid for pid, (_, u) in procs.items() if u == uid}


def kill_all(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def reap_children() -> list[tuple[int, int, float]]:
    """wait4 every exited child of this process without blocking: [(pid, status, CPU seconds)]."""
    reaped = []
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        reaped.append((pid, status, usage.ru_utime + usage.ru_stime))
    return reaped


def sweep(root: int, uid: int | None, deadline_s: float = 3.0, reap: bool = True) -> int:
    """SIGKILL every descendant of `root` (and every process of `uid`) until none is left.

    Repeats because a process may fork between the listing and the kill; a
    SIGKILLed process can no longer fork, so this converges. `root` itself is
    spared (it is the caller). `reap`: also wait for our own exited children
    (the supervisor; never in the grader, whose other children are not ours).
    Returns the number of processes killed.
    """
    me = os.getpid()
    killed: set[int] = set()
    end = time.monotonic() + deadline_s
    while True:
        procs = all_processes()
        targets = descendants(root, procs)
        if uid is not None:
            targets |= of_uid(uid, procs)
        targets.discard(me)
        targets.discard(root)
        # Zombies show up until reaped; only count the live ones.
        live = {p for p in targets if not is_zombie(p)}
        if not live:
            if reap:
                reap_children()
            return len(killed)
        kill_all(live)
        killed |= live
        if reap:
            reap_children()
        if time.monotonic() > end:
            return len(killed)
        time.sleep(0.002)


def is_zombie(pid: int) -> bool:
    """True if pid is a zombie, dead, or gone: anything that can no longer run."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.rindex(b")") + 2:][:1] in (b"Z", b"X")
    except (OSError, ValueError):
        return True
