"""Turn raw (pixels, labels) arrays into a Dataset of the requested sizes."""

from __future__ import annotations

import numpy as np

from grader.data.dataset import Dataset, make_dataset
from grader.data.errors import DataError
from grader.data.split import stratified_split, stratified_subset

DEFAULT_TEST_FRACTION = 0.2  # 5,000 embedded images -> 4,000 train / 1,000 test


def subset_pair(pixels: np.ndarray, labels: np.ndarray, n: int | None, seed: int,
                what: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Stratified subset of a pixels/labels pair, or the pair itself if ``n`` is None.

    pixels: (N, ...) uint8; labels: (N,) integer. Returns the same shapes with n rows.
    """
    if n is None:
        return pixels, labels
    if n > len(labels):
        raise DataError(f"{source}: {what}={n} but only {len(labels)} images are available; "
                        f"ask for at most {len(labels)}")
    idx = stratified_subset(labels, n, seed)
    return pixels[idx], labels[idx]


def split_and_subset(name: str, pixels: np.ndarray, labels: np.ndarray, *, seed: int,
                     n_train: int | None, n_test: int | None, source: str,
                     default_test_fraction: float = DEFAULT_TEST_FRACTION) -> Dataset:
    """Split one labelled set into a stratified train/test Dataset.

    pixels: (N, 28, 28) or (N, 784) uint8; labels: (N,) integer in [0, 10).
    Default sizes: ``round(N * default_test_fraction)`` test, the rest train.
    """
    total = len(labels)
    if n_test is None:
        n_test = int(round(total * default_test_fraction))
    if n_train is None:
        n_train = total - n_test
    if n_train + n_test > total:
        raise DataError(f"{source}: has {total} images, cannot give n_train={n_train} + "
                        f"n_test={n_test}; ask for at most {total} in total")
    train_idx, test_idx = stratified_split(labels, n_train, n_test, seed)
    return make_dataset(name, pixels[train_idx], labels[train_idx], pixels[test_idx], labels[test_idx])
