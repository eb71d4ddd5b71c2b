"""load_dataset's dispatch on `source`, its argument checks, and Dataset validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_helpers import write_mnist_folder

from grader.data import DataError, Dataset, load_dataset


def test_missing_path_names_it_and_the_alternatives(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DataError, match="no such file or folder") as err:
        load_dataset(missing)
    assert str(missing) in str(err.value) and "embedded" in str(err.value)


def test_unsupported_file(tmp_path: Path) -> None:
    f = tmp_path / "digits.csv"
    f.write_text("1,2,3")
    with pytest.raises(DataError, match="mnist.npz") as err:
        load_dataset(f)
    assert str(f) in str(err.value)


def test_full_mnist_not_downloaded_says_how_to_get_it() -> None:
    with pytest.raises(DataError, match="run `grader data download` first"):
        load_dataset("mnist")


def test_path_object_named_mnist_is_a_folder_not_the_keyword(tmp_path: Path, monkeypatch) -> None:
    write_mnist_folder(tmp_path / "mnist", pairs=("t10k",))
    monkeypatch.chdir(tmp_path)
    assert load_dataset(Path("mnist")).name == "mnist-idx:mnist"
    assert load_dataset("./mnist").n_train == 40
    with pytest.raises(DataError, match="grader data download"):
        load_dataset("mnist")


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_test": -5}, {"n_train": 10.0}, {"n_test": True}])
def test_bad_sizes_are_refused(kwargs, tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, pairs=("t10k",))
    with pytest.raises(DataError, match="n_t"):
        load_dataset(tmp_path, **kwargs)


def test_split_folder_respects_n_train_and_n_test(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, pairs=("t10k",), test_per_class=10)  # 100 images
    ds = load_dataset(tmp_path, n_train=30, n_test=70)
    assert (ds.n_train, ds.n_test) == (30, 70)
    with pytest.raises(DataError, match="at most 100"):
        load_dataset(tmp_path, n_train=31, n_test=70)


def _arrays(n: int = 3):
    return np.zeros((n, 784)), np.zeros(n, np.int64)


@pytest.mark.parametrize("field, value, message", [
    ("X_train", np.zeros((3, 783)), "X_train must be a"),
    ("X_train", np.zeros((3, 784), np.float32), "X_train must be a"),
    ("y_train", np.zeros(3, np.int32), "y_train must be a"),
    ("y_test", np.zeros(4, np.int64), "y_test must be a"),
    ("X_test", np.full((3, 784), 1.5), r"\[0, 1\]"),
    ("y_test", np.full(3, 10, np.int64), r"\[0, 10\)"),
])
def test_dataset_rejects_malformed_arrays(field: str, value: np.ndarray, message: str) -> None:
    X, y = _arrays()
    kwargs = {"name": "t", "X_train": X, "y_train": y, "X_test": X.copy(), "y_test": y.copy()}
    kwargs[field] = value
    with pytest.raises(DataError, match=message):
        Dataset(**kwargs)


def test_dataset_is_frozen_and_short_repr() -> None:
    X, y = _arrays()
    ds = Dataset("t", X, y, X.copy(), y.copy())
    with pytest.raises(AttributeError):
        ds.name = "other"  # type: ignore[misc]
    assert repr(ds) == "Dataset(name='t', n_train=3, n_test=3)"
