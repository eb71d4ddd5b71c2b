"""Helpers shared by the grader.data tests (synthetic IDX files, checksums).

Named uniquely (not conftest) so that `import` cannot pick up another
test folder's module of the same name.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np


def idx_bytes(arr: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array: magic 0x0000 08 ndim, big-endian dims, data."""
    assert arr.dtype == np.uint8
    header = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return header + arr.tobytes()


def write_idx(path: Path, arr: np.ndarray) -> Path:
    """Write ``arr`` as IDX at ``path``, gzipped if the name ends in .gz."""
    data = idx_bytes(arr)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def synthetic_mnist(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (10*per_class, 28, 28) uint8, labels (10*per_class,) uint8), label-shuffled."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), per_class))
    pixels = rng.integers(0, 256, size=(len(labels), 28, 28), dtype=np.uint8)
    pixels[:, 0, 0] = labels  # lets tests check that images stay paired with their labels
    pixels[:, 0, 1] = 0
    pixels[:, 0, 2] = 255  # so the scaled range is exactly [0, 1]
    return pixels, labels


def write_mnist_folder(folder: Path, *, train_per_class: int = 20, test_per_class: int = 5,
                       gz: bool = True, pairs: tuple[str, ...] = ("train", "t10k")) -> dict[str, Path]:
    """A folder of synthetic MNIST IDX files; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    ext = ".gz" if gz else ""
    for pair, per_class, seed in (("train", train_per_class, 1), ("t10k", test_per_class, 2)):
        if pair not in pairs:
            continue
        pixels, labels = synthetic_mnist(per_class, seed)
        out[f"{pair}-images"] = write_idx(folder / f"{pair}-images-idx3-ubyte{ext}", pixels)
        out[f"{pair}-labels"] = write_idx(folder / f"{pair}-labels-idx1-ubyte{ext}", labels)
    return out


def md5_hex(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
