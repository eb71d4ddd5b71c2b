"""Stratified draws remembered on disk, so a warm grading run never imports scikit-learn.

Importing scikit-learn costs about 2 s, and every grading run asks for the same
split (same labels, size and seed). The first run computes a draw with
scikit-learn and stores it in ``cache_dir()/splits/`` as one permutation of the
positions (the chosen ``n`` first, then the rest, each in scikit-learn's order); later
runs read them back (~1 ms). The file name holds everything the draw depends
on: a digest of the labels, the size and the seed, so a different data set,
size or seed can never be served another one's indices.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from grader.data.cache import atomic_writer, cache_dir

# Bump when the way a draw is computed changes, so old files are never reused.
FORMAT = 1


def _path(y: np.ndarray, n: int, state: int) -> Path:
    """y: (N,) int64 labels; n: draw size; state: RandomState seed."""
    digest = hashlib.sha256(np.ascontiguousarray(y, dtype=np.int64).tobytes()).hexdigest()[:24]
    return cache_dir() / "splits" / f"v{FORMAT}-{digest}-n{n}-s{state}.npy"


def cached_draw(y: np.ndarray, n: int, state: int) -> np.ndarray | None:
    """The stored order (N,) int64 of this draw (chosen n first, then the rest), or None
    if absent or unusable. y: (N,) int64 labels."""
    try:
        order = np.load(_path(y, n, state), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    # A damaged file falls back to recomputing, never to a wrong split.
    valid = (order.dtype == np.int64 and order.shape == y.shape
             and np.array_equal(np.sort(order), np.arange(len(y))))
    return order if valid else None


def store_draw(y: np.ndarray, n: int, state: int, order: np.ndarray) -> None:
    """Remember order (N,) int64, a permutation of y's positions; an unwritable cache only
    costs speed."""
    try:
        with atomic_writer(_path(y, n, state)) as fh:
            np.save(fh, order.astype(np.int64, copy=False), allow_pickle=False)
    except OSError:
        pass
