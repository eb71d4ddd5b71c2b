"""The :class:`Dataset` container handed to the rest of the grader."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.data.errors import DataError

N_PIXELS = 28 * 28
N_CLASSES = 10


def scale_pixels(pixels: np.ndarray) -> np.ndarray:
    """Turn uint8 pixels into the float64 features every student network sees.

    pixels: (N, 28, 28) or (N, 784) uint8.
    Returns (N, 784) float64 in [0, 1] (exactly ``pixels / 255.0``).
    """
    flat = pixels.reshape(len(pixels), N_PIXELS)
    # One allocation: divide straight into a float64 result instead of
    # astype() followed by a second temporary (matters for 60,000 x 784).
    return np.divide(flat, 255.0, dtype=np.float64)


@dataclass(frozen=True)
class Dataset:
    """An MNIST train/test pair, ready for training.

    The arrays are made read-only: one Dataset is shared by every submission
    graded in a process, so a student (or a check) mutating it in place must
    fail loudly instead of silently corrupting the next student's data.
    Copy (``ds.X_train.copy()``) if you need a writable array.
    """

    name: str
    X_train: np.ndarray  # (N_train, 784) float64 in [0, 1]
    y_train: np.ndarray  # (N_train,) int64 in [0, 10)
    X_test: np.ndarray  # (N_test, 784) float64 in [0, 1]
    y_test: np.ndarray  # (N_test,) int64 in [0, 10)

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            X = getattr(self, f"X_{split}")
            y = getattr(self, f"y_{split}")
            if not (isinstance(X, np.ndarray) and X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == N_PIXELS):
                raise DataError(f"{self.name}: X_{split} must be a (N, 784) float64 array, got "
                                f"{getattr(X, 'dtype', type(X))} {getattr(X, 'shape', '')}")
            if not (isinstance(y, np.ndarray) and y.dtype == np.int64 and y.shape == (len(X),)):
                raise DataError(f"{self.name}: y_{split} must be a ({len(X)},) int64 array, got "
                                f"{getattr(y, 'dtype', type(y))} {getattr(y, 'shape', '')}")
            if X.size and (X.min() < 0.0 or X.max() > 1.0):
                raise DataError(f"{self.name}: X_{split} pixels must lie in [0, 1]")
            if y.size and (y.min() < 0 or y.max() >= N_CLASSES):
                raise DataError(f"{self.name}: y_{split} labels must lie in [0, {N_CLASSES})")
            X.setflags(write=False)
            y.setflags(write=False)

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)

    def class_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-class counts, each (10,) int64: (train, test)."""
        return (np.bincount(self.y_train, minlength=N_CLASSES),
                np.bincount(self.y_test, minlength=N_CLASSES))

    def __repr__(self) -> str:  # the default would print 47M floats
        return f"Dataset(name={self.name!r}, n_train={self.n_train}, n_test={self.n_test})"


def make_dataset(name: str, px_train: np.ndarray, y_train: np.ndarray,
                 px_test: np.ndarray, y_test: np.ndarray) -> Dataset:
    """Build a Dataset from raw uint8 pixels.

    px_train: (N_train, 28, 28) or (N_train, 784) uint8; y_train: (N_train,) integer.
    px_test:  (N_test, 28, 28) or (N_test, 784) uint8;   y_test: (N_test,) integer.
    """
    return Dataset(name=name,
                   X_train=scale_pixels(px_train), y_train=np.asarray(y_train, dtype=np.int64),
                   X_test=scale_pixels(px_test), y_test=np.asarray(y_test, dtype=np.int64))
