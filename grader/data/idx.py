"""Reader for the IDX format of the official MNIST files.

Format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a dtype code
byte, a byte with the number of dimensions, one big-endian uint32 per
dimension, then the data, big-endian, row-major.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from grader.data.dataset import N_CLASSES, Dataset, make_dataset
from grader.data.errors import DataError
from grader.data.subsets import split_and_subset, subset_pair

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
PAIRS = {"train": (TRAIN_IMAGES, TRAIN_LABELS), "t10k": (TEST_IMAGES, TEST_LABELS)}

_FIX = ("re-download it (`grader data download`), or pass another --data PATH "
        "(a folder of IDX files or an mnist.npz), or omit --data to use the embedded subset")


def _read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped if it is gzip (detected by magic, not by name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc}); check the path and permissions") from exc
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        # BadGzipFile is an OSError; a cut-off stream raises EOFError.
        raise DataError(f"{path}: corrupt gzip data ({exc}); {_FIX}") from exc


def parse_idx(data: bytes, path: Path) -> np.ndarray:
    """Decode IDX bytes (already gunzipped); ``path`` is only used in messages.

    Returns an array of the shape and dtype the header declares (native byte order).
    """
    if len(data) < 4:
        raise DataError(f"{path}: file is {len(data)} bytes, too short for an IDX header; {_FIX}")
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES or ndim == 0:
        raise DataError(f"{path}: bad IDX magic number 0x{data[:4].hex()} "
                        f"(expected 0x000008 followed by the number of dimensions); "
                        f"this is not an (uncompressed or gzipped) IDX file; {_FIX}")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: truncated IDX header ({len(data)} of {header_len} bytes); {_FIX}")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    body = len(data) - header_len
    if body < expected:
        raise DataError(f"{path}: truncated IDX data: header declares shape {dims} "
                        f"({expected} bytes) but only {body} bytes follow; {_FIX}")
    if body > expected:
        raise DataError(f"{path}: {body - expected} unexpected bytes after the IDX data "
                        f"of shape {dims}; the file is corrupt; {_FIX}")
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file, gzipped or not. Returns the array the header declares."""
    path = Path(path)
    return parse_idx(_read_bytes(path), path)


def _find(folder: Path, base: str) -> Path | None:
    # Uncompressed first (faster); the dotted spelling is how some archives
    # and Windows tools name the unpacked files (train-images.idx3-ubyte).
    dotted = base.replace("-idx", ".idx")
    for name in (base, f"{base}.gz", dotted, f"{dotted}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check an MNIST images/labels pair.

    Returns (pixels (N, 28, 28) uint8, labels (N,) uint8).
    """
    images = read_idx(images_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: expected MNIST images, uint8 of shape (N, 28, 28), "
                        f"got {images.dtype} {images.shape}; {_FIX}")
    labels = read_idx(labels_path)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{labels_path}: expected MNIST labels, uint8 of shape (N,), "
                        f"got {labels.dtype} {labels.shape}; {_FIX}")
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: has {len(labels)} labels but {images_path.name} has "
                        f"{len(images)} images; the two files are from different sets; {_FIX}")
    if labels.size and labels.max() >= N_CLASSES:
        bad = int(np.argmax(labels >= N_CLASSES))
        raise DataError(f"{labels_path}: label {int(labels[bad])} at index {bad} is outside 0..9; {_FIX}")
    return images, labels


def locate_idx_folder(folder: Path) -> dict[str, tuple[Path, Path]]:
    """Which complete image/label pairs ('train', 't10k') ``folder`` holds."""
    found: dict[str, tuple[Path, Path]] = {}
    for key, (img_base, lbl_base) in PAIRS.items():
        img, lbl = _find(folder, img_base), _find(folder, lbl_base)
        if img and lbl:
            found[key] = (img, lbl)
        elif img or lbl:
            missing = lbl_base if img else img_base
            raise DataError(f"{folder}: has {(img or lbl).name} but not its partner "  # type: ignore[union-attr]
                            f"{missing}[.gz]; add it or remove the lone file")
    if not found:
        names = ", ".join(f"{b}[.gz]" for pair in PAIRS.values() for b in pair)
        raise DataError(f"{folder}: no MNIST IDX files found; expected {names} "
                        f"(or just the t10k pair); or pass an mnist.npz, or omit --data for the embedded subset")
    return found


def load_idx_folder(folder: Path, *, name: str, seed: int, n_train: int | None,
                    n_test: int | None) -> Dataset:
    """Dataset from a folder of IDX files.

    With both pairs, train/test are the official ones (optionally subsampled).
    With one pair (e.g. only t10k), it is split stratified by ``seed``:
    20% goes to test, the rest to train (see subsets.split_and_subset).
    """
    pairs = locate_idx_folder(folder)
    if len(pairs) == 2:
        px_tr, y_tr = read_pair(*pairs["train"])
        px_te, y_te = read_pair(*pairs["t10k"])
        px_tr, y_tr = subset_pair(px_tr, y_tr, n_train, seed, "n_train", str(folder))
        px_te, y_te = subset_pair(px_te, y_te, n_test, seed, "n_test", str(folder))
        return make_dataset(name, px_tr, y_tr, px_te, y_te)
    (px, y), = (read_pair(*p) for p in pairs.values())
    return split_and_subset(name, px, y, seed=seed, n_train=n_train, n_test=n_test, source=str(folder))
