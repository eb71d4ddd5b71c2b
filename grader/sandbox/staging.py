"""Preparing a worker before it starts: its config, uid, copy of the submission, environment.

Used by process.py (WorkerProcess.start) and client.py (the uid lease, what to hide).
"""

from __future__ import annotations

import fcntl
import os
import pwd
import site
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.threads import one_blas_thread

from .errors import SandboxError
from .limits import Limits

MAX_SOURCE_BYTES = 4 << 20
# A package submission's tree: deep and wide enough for a course handout, bounded so a
# folder full of files cannot stall the copy.
MAX_PACKAGE_DEPTH = 4
MAX_PACKAGE_FILES = 400
UID_RANGE = range(61000, 62000)
UID_LOCK_DIR = Path(tempfile.gettempdir()) / "grader-sandbox-uids"


@dataclass
class WorkerConfig:
    submission_dir: Path
    limits: Limits
    forbidden: tuple[str, ...]
    uid: int | None  # None: do not drop privileges
    network_isolation: bool = True
    # The uid lease's lock (UidLease.fd): the supervisor holds it too, until it has swept the
    # uid, so a grading process killed with its sandbox still running frees the uid only once
    # nothing of that sandbox can run (or sweep away the next holder's worker) under it.
    uid_lock_fd: int | None = None
    hide: list[str] = field(default_factory=list)
    packages: bool = False  # also copy package folders (mytorch/nn/...), not only top-level files
    # What a profile declares for the course's own code (see grader/profiles/base.py):
    provided: tuple[str, ...] = ()          # the course's files, relative paths (imports not policed)
    handout_imports: tuple[str, ...] = ()   # imports the handout writes (past/future stand-ins)
    numpy_compat: tuple[str, ...] = ()      # compat.NUMPY_COMPAT names
    preload: tuple[str, ...] = ()           # libraries the handout's files import, loaded at start


def site_dirs() -> list[str]:
    """Where the worker finds NumPy (it runs with -S, so no .pth file and no editable grader)."""
    import numpy

    dirs = [d for d in site.getsitepackages() if os.path.isdir(d)]
    numpy_home = str(Path(numpy.__file__).resolve().parent.parent)
    if numpy_home not in dirs:
        dirs.append(numpy_home)
    return dirs


def dirs_to_hide() -> list[str]:
    """The grader's and the reference's package directories (hidden from the worker when root)."""
    import importlib.util

    found = [str(Path(__file__).resolve().parent.parent)]
    try:
        spec = importlib.util.find_spec("reference")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        found += [str(Path(p).resolve()) for p in spec.submodule_search_locations]
    needed = site_dirs() + [os.path.dirname(os.__file__)]
    # Never hide a directory NumPy or the stdlib live under (a venv inside the repo).
    return [d for d in found if not any(n == d or n.startswith(d + os.sep) for n in needed)]


class UidLease:
    """A sandbox uid reserved for this process, so concurrent sandboxes never share (or kill) one."""

    def __init__(self, uid: int | None = None) -> None:
        self.fd: int | None = None
        if uid is not None:
            self.uid = uid
            return
        UID_LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
        for candidate in UID_RANGE:
            try:
                pwd.getpwuid(candidate)
                continue  # a real account: not ours to use (nor to sweep)
            except KeyError:
                pass
            fd = os.open(UID_LOCK_DIR / str(candidate), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.fd, self.uid = fd, candidate
            return
        raise SandboxError("no free sandbox uid")

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _copy_submission(src: Path, dest: Path) -> list[str]:
    """Copy the submission's top-level .py files (regular files only: no symlink tricks)."""
    copied = []
    for entry in sorted(src.iterdir()) if src.is_dir() else []:
        if entry.suffix != ".py" or not entry.name[:-3].isidentifier():
            continue
        try:
            fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                continue
            data = f.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            continue
        (dest / entry.name).write_bytes(data)
        copied.append(entry.name)
    return copied


def _copy_packages(src: Path, dest: Path, depth: int = 1) -> list[str]:
    """Copy the .py files of every sub-folder named like a Python package, recursively
    (real folders only, MAX_PACKAGE_DEPTH levels, MAX_PACKAGE_FILES files in all)."""
    copied: list[str] = []
    if depth > MAX_PACKAGE_DEPTH:
        return copied
    for entry in sorted(src.iterdir()):
        if not entry.name.isidentifier() or entry.is_symlink() or not entry.is_dir():
            continue
        target = dest / entry.name
        target.mkdir(exist_ok=True)
        copied += [f"{entry.name}/{name}" for name in _copy_submission(entry, target)]
        copied += [f"{entry.name}/{name}" for name in _copy_packages(entry, target, depth + 1)]
        if len(copied) > MAX_PACKAGE_FILES:
            break
    return copied


def _env(home: str, tmp: str) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmp,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    one_blas_thread(env)  # one BLAS thread: deterministic sums, and the memory limit holds
    return env
