"""Deterministic, stratified sampling of index sets.

Every index array returned here is int64 and *shuffled* (not grouped by
class), so that a caller taking ``X[idx]`` gets batches that mix classes.
The same ``(y, n, seed)`` always gives the same indices: numpy's
``default_rng`` (PCG64) is stable across numpy versions and platforms.
"""

from __future__ import annotations

import operator

import numpy as np

from grader.data.errors import DataError


def _check_count(name: str, n: object) -> int:
    # operator.index rejects floats such as 4000.0 (and bool is rejected
    # explicitly) so a typo never becomes a silently truncated size.
    if isinstance(n, bool):
        raise DataError(f"{name} must be an integer, got {n!r}")
    try:
        value = operator.index(n)  # type: ignore[arg-type]
    except TypeError:
        raise DataError(f"{name} must be an integer, got {n!r}") from None
    if value < 0:
        raise DataError(f"{name} must be >= 0, got {value}")
    return value


def _labels(y: np.ndarray) -> np.ndarray:
    """y: (N,) integer labels -> the same as an int64 array (validated)."""
    arr = np.asarray(y)
    if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise DataError(f"labels must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64, copy=False)


def proportional_quotas(counts: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` over classes proportionally to ``counts`` (largest remainder).

    counts: (K,) non-negative int64, the number available per class.
    Returns (K,) int64 quotas with ``sum == n`` and ``quota <= counts``.
    Ties in the remainder go to the larger class, then the lower label, so
    the result is a pure function of its inputs.
    """
    total = int(counts.sum())
    if n > total:
        raise DataError(f"asked for {n} samples but only {total} are available")
    if total == 0:
        return np.zeros_like(counts)
    exact = counts * n  # numerators of counts * n / total, kept exact in integers
    quotas = exact // total
    remainders = exact - quotas * total
    short = n - int(quotas.sum())
    # A class gets +1 only if its remainder is > 0, hence floor + 1 <= count.
    order = np.lexsort((np.arange(len(counts)), -counts, -remainders))
    quotas[order[:short]] += 1
    return quotas


def _class_members(y: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """y: (N,) int64. Per label present (ascending), its indices in random order."""
    return [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Choose ``n`` indices of ``y`` keeping the class proportions.

    y: (N,) integer labels. Returns (n,) int64 indices into y, shuffled.
    Raises DataError if ``n > N``.
    """
    y = _labels(y)
    n = _check_count("n", n)
    if n > len(y):
        raise DataError(f"cannot take a subset of {n} from {len(y)} samples; ask for at most {len(y)}")
    rng = np.random.default_rng(seed)
    members = _class_members(y, rng)
    quotas = proportional_quotas(np.array([len(m) for m in members], dtype=np.int64), n)
    idx = np.concatenate([m[:q] for m, q in zip(members, quotas)] + [np.empty(0, np.int64)])
    return rng.permutation(idx).astype(np.int64, copy=False)


def stratified_split(y: np.ndarray, n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Choose disjoint train and test indices of ``y``, both stratified.

    y: (N,) integer labels.
    Returns (train_idx (n_train,), test_idx (n_test,)), int64, disjoint, shuffled.
    Raises DataError if ``n_train + n_test > N``.

    The test set is drawn first and depends only on ``(y, n_test, seed)``;
    train is then drawn from what is left.  So asking for a smaller training
    set (to grade learning curves, or to train faster) never changes the
    test set the accuracies are measured on.
    """
    y = _labels(y)
    n_train = _check_count("n_train", n_train)
    n_test = _check_count("n_test", n_test)
    if n_train + n_test > len(y):
        raise DataError(f"cannot split {len(y)} samples into {n_train} train + {n_test} test; "
                        f"ask for at most {len(y)} in total")
    test = stratified_subset(y, n_test, seed)
    rest = np.ones(len(y), dtype=bool)
    rest[test] = False
    rest_idx = np.flatnonzero(rest)
    train = rest_idx[stratified_subset(y[rest_idx], n_train, seed)]
    return train.astype(np.int64, copy=False), test
