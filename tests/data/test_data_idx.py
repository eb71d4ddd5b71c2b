"""IDX reading: the real official test set, synthetic folders, and every kind of corruption."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from data_helpers import idx_bytes, synthetic_mnist, write_idx, write_mnist_folder

from grader.data import DataError, load_dataset, read_idx
from grader.data.idx import read_pair

OFFICIAL_T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# --- the real files -------------------------------------------------------

def test_real_t10k_files_parse(shared_mnist: Path) -> None:
    images = read_idx(shared_mnist / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(shared_mnist / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == OFFICIAL_T10K_COUNTS
    # Known facts of the official file: the first test digit is a 7, its
    # border is blank and its ink saturates.
    assert labels[0] == 7 and images[0, 0].max() == 0 and images[0].max() == 255


def test_real_t10k_folder_is_split_stratified(shared_mnist: Path) -> None:
    ds = load_dataset(shared_mnist, seed=0)
    assert ds.name == f"mnist-idx:{shared_mnist}"
    assert (ds.n_train, ds.n_test) == (8000, 2000)
    train_counts, test_counts = ds.class_counts()
    assert (train_counts + test_counts).tolist() == OFFICIAL_T10K_COUNTS
    assert np.all(np.abs(test_counts - np.array(OFFICIAL_T10K_COUNTS) * 0.2) <= 1)
    for X in (ds.X_train, ds.X_test):
        assert X.dtype == np.float64 and X.shape[1] == 784
        assert X.min() == 0.0 and X.max() == 1.0


def test_real_folder_subsets_and_scaling(shared_mnist: Path) -> None:
    ds = load_dataset(str(shared_mnist), seed=5, n_train=1000, n_test=500)
    assert (ds.n_train, ds.n_test) == (1000, 500)
    raw = read_idx(shared_mnist / "t10k-images-idx3-ubyte.gz").reshape(10000, 784)
    # Every row must be an official image divided by 255 (no other transform).
    rows = {r.tobytes() for r in raw}
    scaled_back = np.rint(ds.X_train * 255).astype(np.uint8)
    assert np.array_equal(scaled_back / 255.0, ds.X_train)
    assert all(r.tobytes() in rows for r in scaled_back)


# --- synthetic folders ----------------------------------------------------

def test_four_files_give_official_train_and_test(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, train_per_class=20, test_per_class=5)
    ds = load_dataset(tmp_path)
    assert (ds.n_train, ds.n_test) == (200, 50)
    px_train, y_train = synthetic_mnist(20, seed=1)
    # The official split is kept in file order, not reshuffled.
    assert np.array_equal(ds.y_train, y_train)
    assert np.array_equal(ds.X_train, px_train.reshape(200, 784) / 255.0)


def test_gzipped_and_plain_files_read_the_same(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path / "gz", gz=True)
    write_mnist_folder(tmp_path / "plain", gz=False)
    a, b = load_dataset(tmp_path / "gz"), load_dataset(tmp_path / "plain")
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)


def test_dotted_file_names_are_found(tmp_path: Path) -> None:
    pixels, labels = synthetic_mnist(3)
    write_idx(tmp_path / "t10k-images.idx3-ubyte", pixels)
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", labels)
    assert load_dataset(tmp_path).n_train + load_dataset(tmp_path).n_test == 30


def test_subsets_of_official_split_are_stratified(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, train_per_class=20, test_per_class=5)
    ds = load_dataset(tmp_path, n_train=100, n_test=20, seed=2)
    assert ds.class_counts()[0].tolist() == [10] * 10
    assert ds.class_counts()[1].tolist() == [2] * 10
    # Images stay paired with labels through the subsetting (pixel 0 holds the label).
    assert np.array_equal(np.rint(ds.X_train[:, 0] * 255).astype(int), ds.y_train)
    with pytest.raises(DataError, match="at most 200"):
        load_dataset(tmp_path, n_train=201)


# --- corruption: every error names the file -------------------------------

def _corrupt(tmp_path: Path, which: str, data: bytes) -> Path:
    files = write_mnist_folder(tmp_path, pairs=("t10k",), gz=False)
    files[which].write_bytes(data)
    return files[which]


def test_bad_magic(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path, "t10k-images", b"\x12\x34\x08\x03" + bytes(100))
    with pytest.raises(DataError, match="bad IDX magic") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value) and "grader data download" in str(err.value)


def test_unknown_dtype_code(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path, "t10k-labels", b"\x00\x00\x07\x01" + bytes(8))
    with pytest.raises(DataError, match="magic") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_truncated_body(tmp_path: Path) -> None:
    pixels, _ = synthetic_mnist(5, seed=2)
    bad = _corrupt(tmp_path, "t10k-images", idx_bytes(pixels)[:-100])
    with pytest.raises(DataError, match="truncated IDX data") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_truncated_header(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path, "t10k-images", b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="truncated IDX header") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path, "t10k-labels", b"")
    with pytest.raises(DataError, match="too short") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_trailing_garbage(tmp_path: Path) -> None:
    _, labels = synthetic_mnist(5, seed=2)
    bad = _corrupt(tmp_path, "t10k-labels", idx_bytes(labels) + b"junk")
    with pytest.raises(DataError, match="unexpected bytes") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_count_mismatch(tmp_path: Path) -> None:
    _, labels = synthetic_mnist(5, seed=2)
    bad = _corrupt(tmp_path, "t10k-labels", idx_bytes(labels[:-1]))
    with pytest.raises(DataError, match="49 labels but t10k-images-idx3-ubyte has 50 images") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_label_out_of_range(tmp_path: Path) -> None:
    _, labels = synthetic_mnist(5, seed=2)
    labels = labels.copy()
    labels[7] = 10
    bad = _corrupt(tmp_path, "t10k-labels", idx_bytes(labels))
    with pytest.raises(DataError, match="label 10 at index 7") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_images_of_wrong_shape(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path, "t10k-images", idx_bytes(np.zeros((50, 27, 27), dtype=np.uint8)))
    with pytest.raises(DataError, match=r"\(N, 28, 28\)") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_bad_gzip(tmp_path: Path) -> None:
    files = write_mnist_folder(tmp_path, pairs=("t10k",), gz=True)
    bad = files["t10k-images"]
    bad.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(DataError, match="corrupt gzip") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_truncated_gzip(tmp_path: Path) -> None:
    files = write_mnist_folder(tmp_path, pairs=("t10k",), gz=True)
    bad = files["t10k-images"]
    bad.write_bytes(bad.read_bytes()[:-50])
    with pytest.raises(DataError, match="corrupt gzip") as err:
        load_dataset(tmp_path)
    assert str(bad) in str(err.value)


def test_gzip_with_flipped_byte_fails_crc(tmp_path: Path) -> None:
    pixels, _ = synthetic_mnist(5, seed=2)
    blob = bytearray(gzip.compress(idx_bytes(pixels)))
    blob[len(blob) // 2] ^= 0xFF
    path = tmp_path / "x.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="corrupt gzip") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_lone_file_names_its_missing_partner(tmp_path: Path) -> None:
    files = write_mnist_folder(tmp_path, pairs=("t10k",))
    files["t10k-labels"].unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_dataset(tmp_path)


def test_empty_folder_lists_expected_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no MNIST IDX files found") as err:
        load_dataset(tmp_path)
    assert "t10k-images-idx3-ubyte" in str(err.value) and "embedded" in str(err.value)


def test_read_pair_accepts_good_pair(tmp_path: Path) -> None:
    files = write_mnist_folder(tmp_path, pairs=("t10k",))
    images, labels = read_pair(files["t10k-images"], files["t10k-labels"])
    assert images.shape == (50, 28, 28) and np.bincount(labels).tolist() == [5] * 10


def test_other_idx_dtypes_decode_big_endian(tmp_path: Path) -> None:
    arr = np.arange(-3, 3, dtype=">i4").reshape(2, 3)
    path = tmp_path / "ints"
    path.write_bytes(bytes([0, 0, 0x0C, 2]) + np.array([2, 3], ">u4").tobytes() + arr.tobytes())
    out = read_idx(path)
    assert out.dtype == np.dtype("int32") and out.tolist() == [[-3, -2, -1], [0, 1, 2]]
