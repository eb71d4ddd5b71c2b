"""Reader for a Keras-style ``mnist.npz`` (x_train, y_train, x_test, y_test)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from grader.data.dataset import N_CLASSES, N_PIXELS, Dataset, make_dataset
from grader.data.errors import DataError
from grader.data.subsets import subset_pair

KEYS = ("x_train", "y_train", "x_test", "y_test")
_FIX = "pass another --data PATH (a folder of IDX files or an mnist.npz), or omit --data to use the embedded subset"


def _pixels(arr: np.ndarray, path: Path, key: str) -> np.ndarray:
    """arr: (N, 28, 28) or (N, 784), integer-valued 0..255 -> (N, 784) uint8."""
    if arr.ndim not in (2, 3) or arr.shape[1:] not in ((28, 28), (N_PIXELS,)):
        raise DataError(f"{path}: {key} has shape {arr.shape}, expected (N, 28, 28) or (N, 784); {_FIX}")
    if arr.dtype == np.uint8:
        return arr.reshape(len(arr), N_PIXELS)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DataError(f"{path}: {key} has dtype {arr.dtype}, expected uint8 pixels; {_FIX}")
    # Already-scaled floats in [0, 1] would be indistinguishable from a
    # nearly black 0..255 image, so only raw 0..255 pixel values are accepted.
    if arr.size and (arr.min() < 0 or arr.max() > 255 or not np.array_equal(arr, np.round(arr))):
        raise DataError(f"{path}: {key} must hold raw 0..255 integer pixel values (not pre-scaled); {_FIX}")
    return arr.astype(np.uint8).reshape(len(arr), N_PIXELS)


def _labels(arr: np.ndarray, n: int, path: Path, key: str) -> np.ndarray:
    """arr: (n,) integer labels in 0..9 -> (n,) int64."""
    if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"{path}: {key} must be {n} integer labels, got {arr.dtype} {arr.shape}; {_FIX}")
    if arr.size and (arr.min() < 0 or arr.max() >= N_CLASSES):
        raise DataError(f"{path}: {key} has labels outside 0..9; {_FIX}")
    return arr.astype(np.int64)


def load_npz(path: Path, *, seed: int, n_train: int | None, n_test: int | None,
             name: str | None = None) -> Dataset:
    """Dataset from an mnist.npz; ``n_train``/``n_test`` take stratified subsets."""
    try:
        # allow_pickle=False: an .npz from the internet must not run code.
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)} (has {', '.join(npz.files) or 'none'}); "
                                f"a Keras-style mnist.npz needs {', '.join(KEYS)}; {_FIX}")
            raw = {k: npz[k] for k in KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc}); {_FIX}") from exc
    px_tr = _pixels(raw["x_train"], path, "x_train")
    px_te = _pixels(raw["x_test"], path, "x_test")
    y_tr = _labels(raw["y_train"], len(px_tr), path, "y_train")
    y_te = _labels(raw["y_test"], len(px_te), path, "y_test")
    px_tr, y_tr = subset_pair(px_tr, y_tr, n_train, seed, "n_train", str(path))
    px_te, y_te = subset_pair(px_te, y_te, n_test, seed, "n_test", str(path))
    return make_dataset(name or f"mnist-npz:{path}", px_tr, y_tr, px_te, y_te)
