"""Signatures of softmax and cross-entropy bugs: the wrong axis, overflow, softmax applied
twice, the binary formula on one-hot labels.
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.signatures.factors import loss_reduction_signature
from grader.checks.signatures.match import _numeric, first
from grader.results import Diagnosis


def _softmax(z: np.ndarray, axis: int | None = 1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if axis is None:
        e = np.exp(z - z.max())
        return e / e.sum()
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def softmax_axis_signature(actual: object) -> Diagnosis | None:
    """Rows do not sum to 1 but columns do, or the whole array does -> softmax-axis."""
    if not _numeric(actual):
        return None
    p = np.asarray(actual, dtype=np.float64)
    if p.ndim != 2 or not np.all(np.isfinite(p)):
        return None
    rows_ok = np.allclose(p.sum(axis=1), 1.0, atol=1e-6)
    if rows_ok:
        return None
    if np.allclose(p.sum(axis=0), 1.0, atol=1e-6):
        return diagnosis("softmax-axis", "softmax normalises each column (axis=0, over the batch); "
                         "normalise each row: sum with axis=1, keepdims=True")
    if np.isclose(p.sum(), 1.0, atol=1e-6):
        return diagnosis("softmax-axis", "softmax normalises over the whole array; normalise each "
                         "row separately: sum with axis=1, keepdims=True")
    return None


def overflow_signature(actual: object, *, what: str) -> Diagnosis | None:
    """inf/NaN for large logits -> softmax-overflow."""
    if not _numeric(actual):
        return None
    arr = np.asarray(actual, dtype=np.float64)
    if np.all(np.isfinite(arr)):
        return None
    return diagnosis("softmax-overflow", f"{what} gives inf/NaN for large logits: subtract each "
                     "row's max before np.exp, and use log-softmax rather than log(softmax)")


def _ce(z: np.ndarray, y: np.ndarray) -> float:
    n = z.shape[0]
    return float(-_log_softmax(z)[np.arange(n), y].mean())


def binary_cross_entropy_signature(logits: np.ndarray, y: np.ndarray,
                                   actual: float) -> Diagnosis | None:
    """CE computed with the binary formula -y log p - (1-y) log(1-p) on one-hot labels."""
    z = np.asarray(logits, dtype=np.float64)
    n, c = z.shape
    p = _softmax(z)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -(onehot * np.log(p) + (1.0 - onehot) * np.log1p(-p))
    forms = [terms.mean(), terms.sum() / n, terms.sum()]
    for value in forms:
        if np.isfinite(value) and np.isclose(actual, value, rtol=1e-6, atol=1e-9):
            return diagnosis("binary-cross-entropy", "the loss uses the binary formula "
                             "-y log p - (1-y) log(1-p) over all classes; multi-class cross-entropy is "
                             "the mean over samples of -log p[i, y[i]] only")
    return None


def double_softmax_loss_signature(logits: np.ndarray, y: np.ndarray,
                                  actual: float) -> Diagnosis | None:
    """CE of softmax(logits): softmax applied to probabilities -> double-softmax."""
    z = np.asarray(logits, dtype=np.float64)
    if np.isclose(actual, _ce(_softmax(z), y), rtol=1e-6, atol=1e-9):
        return diagnosis("double-softmax", "the loss applies softmax to probabilities: softmax is "
                         "applied twice; apply it once, to the raw logits")
    return None


def cross_entropy_value_signature(logits: np.ndarray, y: np.ndarray, actual: object,
                                  expected: float) -> Diagnosis | None:
    if not _numeric(actual) or np.asarray(actual).size != 1:
        return None
    value = float(np.asarray(actual, dtype=np.float64).reshape(-1)[0])
    n = np.asarray(logits).shape[0]
    return first(
        lambda: overflow_signature(value, what="SoftmaxCrossEntropy.forward"),
        lambda: loss_reduction_signature(value, expected, what="the loss", n=n,
                                         size=np.asarray(logits).size),
        lambda: double_softmax_loss_signature(logits, y, value),
        lambda: binary_cross_entropy_signature(logits, y, value),
    )
