"""Where grader keeps data between runs, and how it writes there safely."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np


def cache_dir() -> Path:
    """The user's grader cache folder (not created here).

    ``$GRADER_CACHE_DIR``, else ``$XDG_CACHE_HOME/grader``, else ``~/.cache/grader``.
    Empty variables count as unset, as the XDG spec asks.
    """
    explicit = os.environ.get("GRADER_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "grader"
    return Path.home() / ".cache" / "grader"


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """Open a temp file next to ``path``; on success move it onto ``path``.

    The temp file lives in the same folder so os.replace is an atomic rename
    on POSIX: readers see either the old file or the complete new one, and a
    crash (or exception) mid-write leaves no partial ``path`` and no temp.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        # mkstemp makes 0600 files; a cache built by root in a setup script
        # must stay readable by the (possibly other) user who grades.
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Save ``arrays`` as an uncompressed .npz at ``path``, atomically.

    Uncompressed because the cache is read far more often than written and
    a 4 MB file loads faster than decompressing a 1 MB one.
    """
    with atomic_writer(path) as fh:
        # A file object, not a name: np.savez would append ".npz" to a name.
        np.savez(fh, **arrays)
