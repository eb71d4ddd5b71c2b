"""Keras-style mnist.npz loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_helpers import synthetic_mnist

from grader.data import DataError, load_dataset


def _write(path: Path, **overrides) -> Path:
    x_train, y_train = synthetic_mnist(20, seed=1)
    x_test, y_test = synthetic_mnist(5, seed=2)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


def test_keras_npz_loads_and_scales(tmp_path: Path) -> None:
    path = _write(tmp_path / "mnist.npz")
    ds = load_dataset(path)
    x_train, y_train = synthetic_mnist(20, seed=1)
    assert ds.name == f"mnist-npz:{path}"
    assert ds.X_train.shape == (200, 784) and ds.X_test.shape == (50, 784)
    assert np.array_equal(ds.X_train, x_train.reshape(200, 784) / 255.0)
    assert np.array_equal(ds.y_train, y_train.astype(np.int64)) and ds.y_train.dtype == np.int64


def test_flat_int64_pixels_are_accepted(tmp_path: Path) -> None:
    x_train, _ = synthetic_mnist(20, seed=1)
    path = _write(tmp_path / "flat.npz", x_train=x_train.reshape(200, 784).astype(np.int64))
    assert np.array_equal(load_dataset(str(path)).X_train, x_train.reshape(200, 784) / 255.0)


def test_npz_subsets_are_stratified(tmp_path: Path) -> None:
    ds = load_dataset(_write(tmp_path / "mnist.npz"), n_train=50, n_test=10, seed=4)
    assert ds.class_counts()[0].tolist() == [5] * 10 and ds.class_counts()[1].tolist() == [1] * 10
    assert np.array_equal(np.rint(ds.X_train[:, 0] * 255).astype(int), ds.y_train)


@pytest.mark.parametrize("overrides, message", [
    ({"y_test": None}, "missing arrays y_test"),
    ({"x_train": np.zeros((200, 28, 28)) + 0.5}, "raw 0..255"),
    ({"x_train": np.zeros((200, 28, 28)) + 300}, "raw 0..255"),
    ({"x_train": np.zeros((200, 32, 32), np.uint8)}, r"expected \(N, 28, 28\)"),
    ({"y_train": np.full(200, 11)}, "outside 0..9"),
    ({"y_train": np.zeros(199, int)}, "must be 200 integer labels"),
    ({"x_test": np.full((50, 28, 28), "a")}, "dtype"),
])
def test_invalid_npz_names_file_and_problem(tmp_path: Path, overrides, message: str) -> None:
    path = _write(tmp_path / "bad.npz", **overrides)
    with pytest.raises(DataError, match=message) as err:
        load_dataset(path)
    assert str(path) in str(err.value) and "--data" in str(err.value)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"definitely not a zip")
    with pytest.raises(DataError, match="not a readable .npz") as err:
        load_dataset(path)
    assert str(path) in str(err.value)


def test_pickled_arrays_are_refused(tmp_path: Path) -> None:
    # Object arrays need pickle, i.e. running code from the file: never allowed.
    path = _write(tmp_path / "evil.npz", x_train=np.array([{"a": 1}] * 200, dtype=object))
    with pytest.raises(DataError) as err:
        load_dataset(path)
    assert str(path) in str(err.value)
