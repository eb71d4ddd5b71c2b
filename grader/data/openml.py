"""The full MNIST through scikit-learn's OpenML loader, saved as a checked ``mnist.npz``.

``fetch_openml("mnist_784")`` keeps its own download cache (under the
grader's cache folder, so a second run is offline); what the grader reads
afterwards is a Keras-style ``mnist.npz`` beside where the IDX files would go,
written only once the data has passed the same checks as a mirror download:
shape, label range, and the published per-class counts of the official
60,000 / 10,000 split (OpenML's copy lists the training images first).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.data.cache import cache_dir, write_npz_atomic
from grader.data.dataset import N_CLASSES, N_PIXELS

OPENML_NAME = "mnist_784"
OPENML_VERSION = 1
NPZ_NAME = "mnist.npz"
N_TRAIN = 60_000
# Per-digit counts of the official split (train-labels / t10k-labels).
TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


class OpenMLFailed(Exception):
    """OpenML could not deliver an intact MNIST; the message is one line."""


def openml_home() -> Path:
    """scikit-learn's ``data_home`` for the OpenML download, inside the grader cache."""
    return cache_dir() / "openml"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "reason", "") or exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def split_openml(X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Check OpenML's arrays and cut them into the official split.

    X: (70000, 784) pixel values 0..255 (float or int); y: (70000,) digit
    labels as strings or numbers. Returns x_train (60000, 784) uint8,
    y_train (60000,) uint8, x_test (10000, 784) uint8, y_test (10000,) uint8.
    Raises OpenMLFailed naming what does not match.
    """
    X, y = np.asarray(X), np.asarray(y)
    total = N_TRAIN + sum(TEST_COUNTS)
    if X.shape != (total, N_PIXELS) or y.shape != (total,):
        raise OpenMLFailed(f"OpenML returned data of shape {X.shape} with {y.shape} labels, "
                           f"expected ({total}, {N_PIXELS})")
    if not (np.issubdtype(X.dtype, np.number) and X.min() >= 0 and X.max() <= 255
            and np.array_equal(X, np.round(X))):
        raise OpenMLFailed("OpenML returned pixels that are not 0..255 integers")
    try:
        labels = y.astype(np.float64)
    except ValueError:
        raise OpenMLFailed("OpenML returned labels that are not digits") from None
    if not (np.array_equal(labels, np.round(labels)) and labels.min() >= 0 and labels.max() < N_CLASSES):
        raise OpenMLFailed(f"OpenML returned labels outside 0..{N_CLASSES - 1}")
    labels = labels.astype(np.uint8)
    counts = (tuple(np.bincount(labels[:N_TRAIN], minlength=N_CLASSES).tolist()),
              tuple(np.bincount(labels[N_TRAIN:], minlength=N_CLASSES).tolist()))
    if counts != (TRAIN_COUNTS, TEST_COUNTS):
        raise OpenMLFailed(f"OpenML's class counts {list(counts[0])} / {list(counts[1])} are not those of "
                           "the official 60,000 / 10,000 split")
    pixels = X.astype(np.uint8)
    return {"x_train": pixels[:N_TRAIN], "y_train": labels[:N_TRAIN],
            "x_test": pixels[N_TRAIN:], "y_test": labels[N_TRAIN:]}


def has_openml_npz(dest: Path) -> bool:
    """Whether ``dest/mnist.npz`` is a complete, checked OpenML download (labels are enough:
    the file is only ever written, atomically, after every check passed)."""
    path = dest / NPZ_NAME
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as npz:
            counts = (tuple(np.bincount(npz["y_train"], minlength=N_CLASSES).tolist()),
                      tuple(np.bincount(npz["y_test"], minlength=N_CLASSES).tolist()))
            shapes = (npz["x_train"].shape, npz["x_test"].shape)
    except (OSError, ValueError, KeyError, EOFError):
        return False
    return counts == (TRAIN_COUNTS, TEST_COUNTS) and shapes == ((N_TRAIN, N_PIXELS), (sum(TEST_COUNTS), N_PIXELS))


def fetch_mnist_openml(dest: Path, *, data_home: Path | None = None) -> Path:
    """Fetch MNIST from OpenML, check it, and write ``dest/mnist.npz`` atomically.

    data_home: scikit-learn's download cache (default ``openml_home()``).
    Returns the npz path. Raises OpenMLFailed with a one-line reason.
    """
    # Imported here: scikit-learn's datasets module is slow to import and only
    # this command needs it.
    import sklearn.datasets

    home = data_home if data_home is not None else openml_home()
    try:
        bunch = sklearn.datasets.fetch_openml(OPENML_NAME, version=OPENML_VERSION, as_frame=False,
                                              data_home=str(home), parser="liac-arff")
    except Exception as exc:  # noqa: BLE001 - network, HTTP, parse and cache errors all mean "try the next source"
        raise OpenMLFailed(f"OpenML {OPENML_NAME}: {_reason(exc)}") from exc
    arrays = split_openml(bunch.data, bunch.target)
    path = dest / NPZ_NAME
    write_npz_atomic(path, **arrays)
    return path
