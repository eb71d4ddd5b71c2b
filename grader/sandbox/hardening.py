"""Linux process hardening for the worker: prctl, namespaces, rlimits, uid drop. Stdlib only.

Every function degrades gracefully: it returns a short description of what
it did or why it could not, and the worker reports these as its active
protections.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import stat
import sys
from typing import Iterable

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18

_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            # The process's own symbols include libc; find_library would spawn ldconfig
            # on every worker start.
            _libc = ctypes.CDLL(None, use_errno=True)
        except OSError:
            _libc = None
    return _libc


def _call(name: str, *args: object) -> str | None:
    """Call a libc function; None on success, else the error text."""
    lib = libc()
    if lib is None:
        return "not Linux"
    fn = getattr(lib, name)
    if fn(*args) != 0:
        return os.strerror(ctypes.get_errno())
    return None


def prctl(option: int, arg: int) -> str | None:
    return _call("prctl", ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                 ctypes.c_ulong(0), ctypes.c_ulong(0))


def set_subreaper() -> str | None:
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def unshare(flags: int) -> str | None:
    return _call("unshare", ctypes.c_int(flags))


def unshare_network_unprivileged() -> str | None:
    """A new network namespace without root, inside a new user namespace.

    The user namespace maps our own uid and gid onto themselves, so files are
    created and checked exactly as before; only the network disappears.
    """
    uid, gid = os.getuid(), os.getgid()
    err = unshare(CLONE_NEWUSER | CLONE_NEWNET)
    if err:
        return err
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError as exc:
        return f"user namespace without mapping ({exc.strerror})"
    return None


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> str | None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    return _call("mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def set_rlimits(memory_mb: int, cpu_time_s: float, file_bytes: int, nproc: int | None) -> list[str]:
    """Soft = hard, so the student cannot raise them back."""
    # setrlimit takes whole seconds; rubrics may say 300.0.
    cpu_time_s = max(1, math.ceil(cpu_time_s))
    done = []
    limits = [
        (resource.RLIMIT_AS, memory_mb << 20, f"address space {memory_mb} MiB"),
        # hard a little above soft: SIGXCPU first (reported as a time-out), SIGKILL if ignored.
        (resource.RLIMIT_CPU, (cpu_time_s, cpu_time_s + 1), f"CPU time {cpu_time_s} s"),
        (resource.RLIMIT_CORE, 0, "no core dumps"),
        (resource.RLIMIT_FSIZE, file_bytes, f"files up to {file_bytes >> 20} MiB"),
    ]
    if nproc is not None:
        limits.append((resource.RLIMIT_NPROC, nproc, f"{nproc} processes"))
    for which, value, text in limits:
        soft, hard = value if isinstance(value, tuple) else (value, value)
        try:
            resource.setrlimit(which, (soft, hard))
            done.append(text)
        except (ValueError, OSError):
            pass
    return done


def _searchable(d: str, uid: int, gid: int) -> bool:
    """Whether uid/gid (no supplementary groups) may search directory d (its x bit)."""
    try:
        st = os.stat(d)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return True
    bit = stat.S_IXUSR if st.st_uid == uid else stat.S_IXGRP if st.st_gid == gid else stat.S_IXOTH
    return bool(st.st_mode & bit)


def first_blocked(path: str, uid: int, gid: int) -> tuple[str, str | None] | None:
    """(first directory on the way to path that uid cannot search, its next component), or None."""
    parts = os.path.realpath(path).strip(os.sep).split(os.sep)
    current = os.sep
    for part in parts + [None]:
        if not _searchable(current, uid, gid):
            return current, part
        if part is None:
            return None
        current = os.path.join(current, part)
    return None


def private_mounts() -> str | None:
    """A new mount namespace whose changes do not propagate back to the host."""
    err = unshare(CLONE_NEWNS)
    if err:
        return err
    return mount(None, "/", None, MS_REC | MS_PRIVATE, None)


def expose_paths(paths: Iterable[str], uid: int, gid: int, stage_dir: str) -> list[str]:
    """Make `paths` reachable for uid inside the (private) mount namespace.

    For an ancestor the uid may not search (e.g. a Python installed under
    /root, mode 700), mount an empty tmpfs over that ancestor and bind the
    needed children back into it, which also hides the rest of that
    ancestor. Returns the paths that are still unreachable.
    """
    paths = list(paths)
    for round_ in range(4):  # a path may cross several blocked directories
        wanted: dict[str, set[str]] = {}
        for path in paths:
            blocked = first_blocked(path, uid, gid)
            if blocked is not None and blocked[1] is not None:
                wanted.setdefault(blocked[0], set()).add(blocked[1])
        if not wanted:
            break
        for k, (parent, children) in enumerate(sorted(wanted.items())):
            staged: list[tuple[str, str]] = []
            for child in sorted(children):
                stage = os.path.join(stage_dir, f"r{round_}_{k}_{len(staged)}")
                source = os.path.join(parent, child)
                if not os.path.isdir(source):
                    continue
                os.makedirs(stage, exist_ok=True)
                if not mount(source, stage, None, MS_BIND | MS_REC, None):
                    staged.append((child, stage))
            if not staged or mount("tmpfs", parent, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k"):
                continue
            for child, stage in staged:
                os.mkdir(os.path.join(parent, child))
                mount(stage, os.path.join(parent, child), None, MS_MOVE, None)
    return [p for p in paths if first_blocked(p, uid, gid) is not None]


def hide_paths(paths: Iterable[str]) -> list[str]:
    """Mount an empty read-only tmpfs over each directory (e.g. the grader, the reference)."""
    hidden = []
    for path in paths:
        if os.path.isdir(path) and not mount("tmpfs", path, "tmpfs",
                                             MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0555,size=4k"):
            hidden.append(path)
    return hidden


def drop_privileges(uid: int, gid: int) -> str | None:
    try:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    except OSError as exc:
        return str(exc)
    if os.getuid() != uid or os.geteuid() != uid:
        return "uid did not change"
    return None
