"""A 2.0.x student's values in the 3.0.x units the checks and reference.py use.

The faces in adapters.py call these when the convention `api` is "2.0.x" (v2.py), so one set
of checks grades both releases. Every conversion is exact and linear, so a wrong value stays
wrong by the same factor (a scale signature still names it):
- activation backward() -> dA/dZ: the face multiplies by dLdA (as the 2.0.x MLP does);
- Linear dLdW, dLdb averaged over the batch: times N;
- MSELoss SSE / (2 N C) and (A - Y) / (N C): times 2 (the mytorch/models builds' SSE / (N C)
  as it is, their A - Y times 2 / (N C));
- CrossEntropyLoss dLdA = softmax(A) - Y: divided by N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import CheckFailure
from grader.profiles.mytorch_hw1p1 import v2
from grader.sandbox import StudentException

#: Factor from the 2.0.1 handout's MSELoss (value and gradient) to 3.0.x's.
MSE_FACTOR = 2.0


def wants_dLdA(exc: StudentException) -> bool:
    """backward() refused to run without an argument: a 3.0.x-style backward(dLdA)."""
    return exc.exc_type == "TypeError" and "required positional argument" in exc.message


def activation_backward(remote: Any, name: str, dLdA: np.ndarray, *, watched: bool = False) -> np.ndarray:
    """dLdZ (N, C) = dLdA (N, C) * the student's dA/dZ from backward() (no argument)."""
    try:
        dAdZ = (D.call_watched(remote, "backward", what=f"{name}.backward") if watched
                else remote.call("backward"))
    except StudentException as exc:
        if wants_dLdA(exc):
            raise CheckFailure(v2.v3_activation_signature(name)) from None
        raise
    if not D._numeric(dAdZ) or np.asarray(dAdZ).shape != dLdA.shape:
        D.require_array(dAdZ, dLdA.shape, what=f"{name}.backward's dA/dZ")  # raises, naming it
    arr = np.asarray(dAdZ)
    # The handout's own Identity builds dA/dZ as float32 (dtype="f") and the course accepts any
    # numbers (ReLU's 0/1 may be ints or bools); float32 stays float32, so the checks judge it
    # at float32's precision as the course does.
    if arr.dtype == np.float32:
        return (dLdA * arr).astype(np.float32)
    return dLdA * arr.astype(np.float64)


def linear_gradient(value: np.ndarray, n: int) -> np.ndarray:
    """A Linear parameter gradient averaged over a batch of n, as the 3.0.x sum."""
    return value * n


def loss_value(name: str, value: float, *, early: bool = False) -> float:
    return value * MSE_FACTOR if name == "MSELoss" and not early else value


def loss_gradient(name: str, grad: object, n: int, *, early: bool = False) -> object:
    """dLdA (N, C) of the 2.0.x loss, as 3.0.x's gradient of the mean loss (left as it is when
    it is not an array: the check names that)."""
    if not D._numeric(grad) or np.asarray(grad).ndim != 2:
        return grad
    arr = np.asarray(grad)  # float32 stays float32 (judged at its precision by the checks)
    if name == "MSELoss":
        return arr * (MSE_FACTOR / arr.size if early else MSE_FACTOR)  # early: A - Y, size N C
    return arr / n

