"""Deterministic, stratified sampling of index sets, through scikit-learn.

Every index array returned here is int64 and *shuffled* (not grouped by
class), so that a caller taking ``X[idx]`` gets batches that mix classes.
The same ``(y, n, seed)`` always gives the same indices: scikit-learn's
``StratifiedShuffleSplit`` draws from ``RandomState(seed)`` (MT19937), whose
stream numpy keeps stable across versions and platforms.

scikit-learn is imported inside the functions, and only when a draw is not
already in the split cache (grader/data/split_cache.py): ``grader --help``, the
sandbox worker and a warm grading run never pay for it.
"""

from __future__ import annotations

import operator

import numpy as np

from grader.data.errors import DataError
from grader.data.split_cache import cached_draw, store_draw

# RandomState accepts seeds in [0, 2**32); larger rubric seeds wrap around.
_SEED_RANGE = 2 ** 32


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


def can_stratify(y: np.ndarray, n: int) -> bool:
    """Whether scikit-learn can draw ``n`` of ``y`` keeping class proportions.

    y: (N,) int64 labels. StratifiedShuffleSplit needs every class to hold at
    least 2 samples and both the drawn part and the rest to hold at least one
    sample per class; MNIST subsets always qualify, tiny hand-made label sets
    may not.
    """
    counts = np.unique(y, return_counts=True)[1]
    n_classes = len(counts)
    return n_classes > 0 and int(counts.min()) >= 2 and n_classes <= n <= len(y) - n_classes


def _draw(y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split positions of ``y`` into (chosen (n,), rest (N - n,)), both int64 and shuffled.

    y: (N,) int64 labels, 0 <= n <= N. Stratified whenever ``can_stratify``;
    otherwise (n == 0, n == N, or a class too small to share) a seeded
    permutation, which is the only draw such a request allows.
    """
    state = seed % _SEED_RANGE
    if can_stratify(y, n):
        order = cached_draw(y, n, state)
        if order is None:
            from sklearn.model_selection import StratifiedShuffleSplit

            splitter = StratifiedShuffleSplit(n_splits=1, test_size=n, random_state=state)
            rest, chosen = next(splitter.split(np.zeros((len(y), 1)), y))
            order = np.concatenate([chosen, rest]).astype(np.int64, copy=False)
            store_draw(y, n, state, order)
        chosen, rest = order[:n], order[n:]
    else:
        order = np.random.RandomState(state).permutation(len(y))
        chosen, rest = order[:n], order[n:]
    return chosen.astype(np.int64, copy=False), rest.astype(np.int64, copy=False)


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Choose ``n`` indices of ``y`` keeping the class proportions.

    y: (N,) integer labels. Returns (n,) int64 indices into y, shuffled.
    Raises DataError if ``n > N``.
    """
    y = _labels(y)
    n = _check_count("n", n)
    if n > len(y):
        raise DataError(f"cannot take a subset of {n} from {len(y)} samples; ask for at most {len(y)}")
    return _draw(y, n, seed)[0]


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
    test, rest = _draw(y, n_test, seed)
    train = rest[_draw(y[rest], n_train, seed)[0]]
    return train, test
