"""stratified_split / stratified_subset (scikit-learn underneath): exact, proportional, deterministic, shuffled."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.data import DataError, stratified_split, stratified_subset
from grader.data.split import can_stratify

BALANCED = np.repeat(np.arange(10), 500)


def test_balanced_split_is_exact_per_class() -> None:
    train, test = stratified_split(BALANCED, 4000, 1000, seed=0)
    assert np.bincount(BALANCED[train]).tolist() == [400] * 10
    assert np.bincount(BALANCED[test]).tolist() == [100] * 10
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert len(np.intersect1d(train, test)) == 0
    assert len(np.union1d(train, test)) == 5000


def test_same_seed_same_indices_other_seed_different() -> None:
    a = stratified_split(BALANCED, 4000, 1000, seed=3)
    b = stratified_split(BALANCED, 4000, 1000, seed=3)
    c = stratified_split(BALANCED, 4000, 1000, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(np.sort(a[1]), np.sort(c[1]))


def test_output_is_shuffled_not_grouped_by_class() -> None:
    train, test = stratified_split(BALANCED, 4000, 1000, seed=0)
    for idx in (train, test):
        assert not np.all(np.diff(idx) > 0), "indices come out sorted"
        # Grouped by class would give 9 label changes; shuffled gives hundreds.
        assert np.count_nonzero(np.diff(BALANCED[idx])) > 100


def test_test_set_does_not_depend_on_n_train() -> None:
    _, test_big = stratified_split(BALANCED, 4000, 1000, seed=7)
    _, test_small = stratified_split(BALANCED, 500, 1000, seed=7)
    assert np.array_equal(test_big, test_small)


def test_subset_of_everything_is_a_permutation() -> None:
    idx = stratified_subset(BALANCED, 5000, seed=1)
    assert np.array_equal(np.sort(idx), np.arange(5000))


@pytest.mark.parametrize("call", [
    lambda: stratified_subset(BALANCED, 5001, seed=0),
    lambda: stratified_split(BALANCED, 4500, 501, seed=0),
    lambda: stratified_subset(BALANCED, -1, seed=0),
    lambda: stratified_subset(BALANCED, 10.0, seed=0),
    lambda: stratified_split(BALANCED, True, 10, seed=0),
    lambda: stratified_subset(np.zeros((3, 3), dtype=int), 2, seed=0),
    lambda: stratified_subset(np.array([0.5, 1.5]), 1, seed=0),
])
def test_impossible_requests_raise_data_error(call) -> None:
    with pytest.raises(DataError):
        call()


def test_too_many_message_says_how_many_are_available() -> None:
    with pytest.raises(DataError, match="at most 5000"):
        stratified_subset(BALANCED, 6000, seed=0)


def test_quotas_on_an_awkward_case_sum_and_fit() -> None:
    # Rounding train and test up independently would over-ask class 0 here.
    y = np.array([0, 0, 0, 1, 1, 1])
    train, test = stratified_split(y, 3, 3, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(6))


labels_strategy = st.lists(st.integers(0, 9), min_size=1, max_size=300).map(np.array)


@settings(max_examples=150, deadline=None)
@given(y=labels_strategy, frac=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_subset_is_proportional_within_one(y: np.ndarray, frac: float, seed: int) -> None:
    n = int(frac * len(y))
    idx = stratified_subset(y, n, seed)
    assert len(idx) == n and len(np.unique(idx)) == n
    assert np.array_equal(idx, stratified_subset(y, n, seed))
    if not can_stratify(y, n):
        return  # sizes and determinism only: see test_unstratifiable_requests_still_get_their_sizes
    got = np.bincount(y[idx], minlength=10)
    ideal = np.bincount(y, minlength=10) * n / len(y)
    assert np.all(np.abs(got - ideal) < 1 + 1e-9)


@settings(max_examples=150, deadline=None)
@given(y=labels_strategy, a=st.floats(0, 1), b=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_split_sizes_disjoint_and_near_proportional(y: np.ndarray, a: float, b: float, seed: int) -> None:
    n_test = int(a * len(y))
    n_train = int(b * (len(y) - n_test))
    train, test = stratified_split(y, n_train, n_test, seed)
    assert len(train) == n_train and len(test) == n_test
    assert len(np.intersect1d(train, test)) == 0
    assert len(np.unique(train)) == n_train
    counts = np.bincount(y, minlength=10)
    if not (can_stratify(y, n_test) and can_stratify(y[np.setdiff1d(np.arange(len(y)), test)], n_train)):
        return
    # Test is within 1 of ideal; train, drawn from what test left, within 2.
    assert np.all(np.abs(np.bincount(y[test], minlength=10) - counts * n_test / len(y)) < 1 + 1e-9)
    assert np.all(np.abs(np.bincount(y[train], minlength=10) - counts * n_train / len(y)) < 2 + 1e-9)


def test_unstratifiable_requests_still_get_their_sizes() -> None:
    # A class with one sample, or fewer draws than classes: StratifiedShuffleSplit
    # refuses these, so a seeded permutation gives the sizes asked for.
    y = np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    assert not can_stratify(y, 5) and not can_stratify(BALANCED, 3)
    train, test = stratified_split(y, 6, 4, seed=5)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    assert np.array_equal(test, stratified_split(y, 6, 4, seed=5)[1])
    assert len(stratified_subset(BALANCED, 3, seed=0)) == 3
    assert len(stratified_subset(BALANCED, 0, seed=0)) == 0


def test_huge_seeds_are_accepted() -> None:
    # RandomState takes seeds below 2**32 only; a rubric may hold a larger one.
    train, test = stratified_split(BALANCED, 4000, 1000, seed=2**40 + 3)
    assert np.bincount(BALANCED[test]).tolist() == [100] * 10


def test_can_stratify_matches_what_scikit_learn_accepts() -> None:
    from sklearn.model_selection import StratifiedShuffleSplit

    for y, n in [(BALANCED, 10), (BALANCED, 4990), (BALANCED, 9), (BALANCED, 4991),
                 (np.array([0, 0, 1]), 1), (np.array([0, 0, 1, 1]), 2)]:
        try:
            next(StratifiedShuffleSplit(n_splits=1, test_size=n, random_state=0).split(y, y))
            accepted = True
        except ValueError:
            accepted = False
        assert can_stratify(y, n) == accepted, (y, n)


# -- the split cache: warm runs skip scikit-learn, never change a split --------------

def test_cached_split_is_the_one_scikit_learn_draws(monkeypatch) -> None:
    cold = stratified_split(BALANCED, 4000, 1000, seed=7)
    assert list(Path(os.environ["GRADER_CACHE_DIR"], "splits").glob("*.npy")), "nothing cached"
    # A warm draw must come from the cache alone: scikit-learn made unimportable.
    monkeypatch.setitem(sys.modules, "sklearn.model_selection", None)
    warm = stratified_split(BALANCED, 4000, 1000, seed=7)
    assert np.array_equal(cold[0], warm[0]) and np.array_equal(cold[1], warm[1])
    with pytest.raises(ImportError):  # a draw never cached still needs scikit-learn
        stratified_split(BALANCED, 4000, 1000, seed=8)


def test_damaged_split_cache_is_recomputed_not_trusted() -> None:
    expected = stratified_subset(BALANCED, 1000, seed=5)
    files = list(Path(os.environ["GRADER_CACHE_DIR"], "splits").glob("*.npy"))
    assert len(files) == 1
    np.save(files[0], np.zeros(5000, dtype=np.int64))  # right shape, not a permutation
    assert np.array_equal(stratified_subset(BALANCED, 1000, seed=5), expected)
    files[0].write_bytes(b"garbage")
    assert np.array_equal(stratified_subset(BALANCED, 1000, seed=5), expected)


def test_other_labels_size_or_seed_never_share_a_cached_draw() -> None:
    other = np.roll(BALANCED, 1)
    a = stratified_subset(BALANCED, 1000, seed=5)
    assert not np.array_equal(stratified_subset(other, 1000, seed=5), a)
    assert len(stratified_subset(BALANCED, 900, seed=5)) == 900
    assert not np.array_equal(stratified_subset(BALANCED, 1000, seed=6), a)
    assert len(list(Path(os.environ["GRADER_CACHE_DIR"], "splits").glob("*.npy"))) == 4
