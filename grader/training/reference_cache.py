"""The reference's training runs, kept on disk between gradings (speed, issue 21).

Training the reference network is the grader's own work, the same for every submission
graded with the same rubric, seed and data: ~0.5 s of CPU per `grader run`, which the two
check sessions leave no idle core to hide. A finished run is kept in the grader's cache
(`reference-runs/`) as plain arrays (`.npz`, never pickled), under a digest of everything
it was computed from: the configuration, the data's bytes, the source of the reference
package and of the code that trains it, NumPy's version and the machine's architecture.
A run read back is the run this machine computed, bit for bit; anything else (a missing,
damaged or unwritable cache) only means it is computed again.

A Gradescope image whose build runs the bundle's smoke test keeps the runs that test
trained, so every submission graded in it reads them: the same reference on every
runner, where a live run could differ in its last bits between processors.
"""

from __future__ import annotations

import hashlib
import platform
import zipfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

#: Bumped when what is kept changes shape.
FORMAT = 1


def cached_run(kind: str, settings: Sequence[object], data: Sequence[np.ndarray | bytes],
               sources: Sequence[Path],
               compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """`compute()`'s arrays for this `kind` of run, read from the cache when it holds them.

    settings: everything besides the data that the run depends on (sizes, seeds, rates),
    as values whose repr is stable. data: the arrays it trains and is measured on, any of
    them given as its `digest_of` (runs on the same data set hash its megabytes once).
    sources: the files whose code computes it."""
    path = _path(kind, settings, data, sources)
    if path is not None:
        kept = _read(path)
        if kept is not None:
            return kept
    arrays = compute()
    if path is not None:
        _write(path, arrays)
    return arrays


def _path(kind: str, settings: Sequence[object], data: Sequence[np.ndarray | bytes],
          sources: Sequence[Path]) -> Path | None:
    from grader.data.cache import cache_dir

    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((FORMAT, kind, tuple(settings), np.__version__, platform.machine())).encode())
    try:
        for source in sources:
            digest.update(source.read_bytes())
    except OSError:
        return None  # no source to vouch for the run: never cached
    for item in data:
        digest.update(item if isinstance(item, bytes) else digest_of(item))
    return cache_dir() / "reference-runs" / f"{kind}-{digest.hexdigest()}.npz"


def digest_of(array: np.ndarray) -> bytes:
    """A digest of `array`'s dtype, shape and bytes, to pass to `cached_run` in its place."""
    array = np.ascontiguousarray(array)
    digest = hashlib.blake2b(repr((array.dtype.str, array.shape)).encode(), digest_size=20)
    digest.update(memoryview(array).cast("B"))
    return digest.digest()


def _read(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from grader.data.cache import atomic_writer

    try:
        with atomic_writer(path) as out:
            np.savez(out, **arrays)
    except OSError:
        pass
