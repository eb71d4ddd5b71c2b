"""Signatures of Linear bugs (weights (in, out), the canonical shapes): the bias gradient not
summed over the batch, a transposed dW, dx computed with W or dW instead of W.T.
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.signatures.match import _numeric, matches
from grader.results import Diagnosis


def bias_gradient_signature(db: object, grad_out: np.ndarray, *, fan_out: int) -> Diagnosis | None:
    """db keeping the batch axis (N, out) or summed over the feature axis (N,)."""
    arr = np.asarray(db)
    g = np.asarray(grad_out, dtype=np.float64)
    n = g.shape[0]
    if arr.shape == (fan_out,):
        if n > 1 and matches(arr, g.mean(axis=0)):
            return diagnosis("gradient-scale", "Linear's db is the mean of grad_out over the batch; "
                             "it must be the sum: grad_out.sum(axis=0)")
        return None
    if arr.shape == g.shape or arr.shape == (1, fan_out) or (arr.ndim == 2 and arr.shape[1] == fan_out):
        return diagnosis("bias-gradient-not-summed", f"Linear's db has shape {arr.shape}: it keeps "
                         f"the batch axis; sum grad_out over the batch: grad_out.sum(axis=0), shape "
                         f"({fan_out},)")
    if arr.shape == (n,) or (arr.ndim == 2 and arr.shape[0] == n):
        return diagnosis("bias-gradient-not-summed", f"Linear's db has shape {arr.shape}: it sums over "
                         f"the feature axis; sum over the batch axis instead: grad_out.sum(axis=0), "
                         f"shape ({fan_out},)")
    return None


def weight_gradient_signature(dW: object, x: np.ndarray, grad_out: np.ndarray) -> Diagnosis | None:
    arr = np.asarray(dW)
    expected = np.asarray(x).T @ np.asarray(grad_out)
    if arr.shape == expected.shape[::-1] and arr.shape != expected.shape:
        return diagnosis("shape-mismatch", f"Linear's dW has shape {arr.shape}, the transpose of W's "
                         f"{expected.shape}: compute dW = x.T @ grad_out")
    if expected.shape[0] == expected.shape[1] and expected.shape[0] > 1 and \
            matches(arr, expected.T) and not matches(expected, expected.T):
        # A square W hides the transpose from the shapes: only the values tell.
        return diagnosis("wrong-gradient", f"Linear's dW is the transpose of x.T @ grad_out "
                         f"(it computes grad_out.T @ x; a square {expected.shape} W hides that "
                         "from the shapes): compute dW = x.T @ grad_out")
    return None


def linear_dx_signature(dx: object, W: np.ndarray, grad_out: np.ndarray, dW: object = None, *,
                        what: str = "Linear.backward's dx") -> Diagnosis | None:
    """dx = grad_out @ W (no transpose; shape-compatible only when W is square) or
    grad_out @ dW.T (the weight gradient where the weights belong)."""
    W = np.asarray(W, dtype=np.float64)
    g = np.asarray(grad_out, dtype=np.float64)
    right = g @ W.T
    if W.shape[0] == W.shape[1] and matches(dx, g @ W) and not matches(right, g @ W):
        return diagnosis("wrong-gradient", f"{what} uses W instead of W.T: dx = grad_out @ W.T "
                         f"(with a square {W.shape} W both products have the right shape, only the "
                         "values differ; do not pick W or W.T by matching shapes)")
    if dW is not None and _numeric(dW) and np.shape(dW) == W.shape and \
            matches(dx, g @ np.asarray(dW, dtype=np.float64).T):
        return diagnosis("wrong-gradient", f"{what} uses dW where it needs W: dx = grad_out @ W.T")
    return None
