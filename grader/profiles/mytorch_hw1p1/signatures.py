"""Failure signatures only MyTorch has (its shapes, its running statistics, its momentum form).

Like grader/checks/diagnose.py: small pure functions on arrays that return a Diagnosis
when the difference has their shape, else None. Unit tests: tests/profiles/test_mytorch_signatures.py.
"""

from __future__ import annotations

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import diagnosis
from grader.profiles.mytorch_hw1p1.layout import BATCHNORM_EPS
from grader.results import Diagnosis

#: Advice for a Linear parameter gradient off by 1/N: the 2.0.x handout's convention.
LEGACY_SCALE = ("{what} is divided by the batch size N (the 2.0.x handout's convention); in 3.0.x "
                "it is summed over the batch (dLdW = dLdZ.T @ A, dLdb = dLdZ.T @ ones): the 1/N is "
                "already in the loss's gradient")


def mytorch_shape_signature(value: object, shape: tuple[int, ...], *, what: str) -> Diagnosis | None:
    """A column (out, 1) or row (1, C) returned as a flat vector, in MyTorch's words."""
    arr = np.asarray(value)
    if len(shape) == 2 and 1 in shape and arr.shape == (max(shape),):
        return diagnosis("shape-mismatch", f"{what} has shape {arr.shape}; MyTorch keeps it 2-D, "
                         f"{tuple(shape)} (use keepdims=True or reshape)")
    return None


def bias_gradient_signature(dLdb: object, dLdZ: np.ndarray) -> Diagnosis | None:
    """dLdb keeping the batch axis, or summed over the features, instead of dLdZ.T @ ones (out, 1)."""
    arr = np.asarray(dLdb)
    n, fan_out = dLdZ.shape
    if arr.shape in ((n, fan_out), (fan_out, n)) and n > 1:
        return diagnosis("bias-gradient-not-summed", f"Linear.dLdb has shape {arr.shape}: it keeps "
                         f"the batch axis; sum over the batch: dLdb = dLdZ.T @ ones((N, 1)), shape "
                         f"({fan_out}, 1)")
    if arr.shape in ((n,), (n, 1), (1, n)) and n != fan_out:
        return diagnosis("bias-gradient-not-summed", f"Linear.dLdb has shape {arr.shape}: it sums "
                         f"over the features; sum over the batch instead, shape ({fan_out}, 1)")
    return mytorch_shape_signature(arr, (fan_out, 1), what="Linear.dLdb")


def legacy_scale_signature(actual: object, expected: object, *, what: str, n: int) -> Diagnosis | None:
    return D.scale_signature(actual, expected, what=what, n=n,
                             advice={"1/N": LEGACY_SCALE.format(what=what)})


def division_precedence_signature(actual: object, expected: object, *, classes: int,
                                  what: str) -> Diagnosis | None:
    """A loss gradient C^2 times too large (up to a factor 1/4 .. 4): `x / N * C` multiplies by
    C where `x / (N * C)` divides, an operator-precedence slip (with a compensating constant, it
    even passes a fixed test whose C makes the factor 1)."""
    c = D.constant_factor(actual, expected)
    if c is None or classes < 2:
        return None
    ratio = c / classes ** 2
    if any(abs(ratio - k) <= 1e-6 * k for k in (0.25, 0.5, 1.0, 2.0, 4.0)):
        return diagnosis("gradient-scale", f"{what} is {c:.4g} times the right value, C^2 times "
                         f"{ratio:g} with C = {classes} classes: it multiplies by C where it should "
                         "divide (`x / N * C` is `(x / N) * C`); write `x / (N * C)`")
    return None


def running_statistics_signature(Z: np.ndarray, alpha: float, before: tuple[np.ndarray, np.ndarray],
                                 after: tuple[object, object]) -> Diagnosis | None:
    """Name what the student's running_M, running_V update did with one training batch Z (N, C)."""
    M, V = Z.mean(axis=0), Z.var(axis=0)
    (rM, rV), (sM, sV) = before, after
    if D.matches(sM, rM) and D.matches(sV, rV):
        return diagnosis("running-statistics", "BatchNorm1d.forward in training mode leaves "
                         "running_M and running_V unchanged: update them, running_M = alpha * "
                         "running_M + (1 - alpha) * M (same for V)")
    if D.matches(sM, (1 - alpha) * rM + alpha * M):
        return diagnosis("running-statistics", "BatchNorm1d's running statistics weigh the batch by "
                         "alpha: alpha belongs to the old value, running_M = alpha * running_M + "
                         "(1 - alpha) * M")
    if D.matches(sM, M) and D.matches(sV, V):
        return diagnosis("running-statistics", "BatchNorm1d replaces running_M, running_V by the "
                         "batch statistics: average them, running_M = alpha * running_M + "
                         "(1 - alpha) * M")
    if n_ok(Z) and D.matches(sV, alpha * rV + (1 - alpha) * Z.var(axis=0, ddof=1)):
        return diagnosis("running-statistics", "BatchNorm1d's running_V averages the unbiased "
                         "variance (ddof=1); MyTorch uses the batch's biased variance, np.var(Z, axis=0)")
    return None


def n_ok(Z: np.ndarray) -> bool:
    return Z.shape[0] > 1


def batchnorm_forward_signature(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray,
                                actual: object) -> Diagnosis | None:
    """Known training-mode forward bugs: unbiased variance, eps outside the root, no scale/shift."""
    M = Z.mean(axis=0)
    candidates = {
        "normalises with the unbiased variance (ddof=1); use the biased np.var(Z, axis=0)":
            BW * (Z - M) / np.sqrt(Z.var(axis=0, ddof=1) + BATCHNORM_EPS) + Bb if n_ok(Z) else None,
        "divides by the variance, not its square root: NZ = (Z - M) / sqrt(V + eps)":
            BW * (Z - M) / (Z.var(axis=0) + BATCHNORM_EPS) + Bb,
        "never applies BW and Bb: BZ = BW * NZ + Bb":
            (Z - M) / np.sqrt(Z.var(axis=0) + BATCHNORM_EPS),
    }
    for fix, wrong in candidates.items():
        if wrong is not None and D.matches(actual, wrong):
            return diagnosis("wrong-forward", f"BatchNorm1d.forward {fix}")
    return None


def eval_mode_signature(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, actual: object) -> Diagnosis | None:
    """forward(Z, eval=True) normalising with the batch's statistics instead of the running ones."""
    M, V = Z.mean(axis=0), Z.var(axis=0)
    if D.matches(actual, BW * (Z - M) / np.sqrt(V + BATCHNORM_EPS) + Bb):
        return diagnosis("eval-mode", "BatchNorm1d.forward(Z, eval=True) normalises with the batch's "
                         "mean and variance; in eval mode use running_M and running_V")
    return None


def momentum_signature(lr: float, momentum: float, grads: list[np.ndarray],
                       steps: list[np.ndarray]) -> Diagnosis | None:
    """Classify the parameter changes of consecutive SGD steps with momentum.

    `grads[k]` is the gradient at step k, `steps[k]` the student's parameter change there.
    """
    plain = [-lr * g for g in grads]
    if all(D.matches(s, p) for s, p in zip(steps, plain)):
        return diagnosis("momentum-state", f"SGD(momentum={momentum:g}).step moves by -lr * dLdW "
                         "every step: the velocity is not carried between steps (or momentum is "
                         "ignored); keep v_W per layer across steps: v = mu * v + dLdW, W -= lr * v")
    velocity, twice = np.zeros_like(grads[0]), []
    for g in grads:
        velocity = momentum * velocity + lr * g
        twice.append(-lr * velocity)
    if all(D.matches(s, t) for s, t in zip(steps, twice)):
        return diagnosis("optimizer-update", "SGD with momentum applies lr twice: the velocity is "
                         "v = mu * v + dLdW (no lr), then W -= lr * v")
    velocity, ascent = np.zeros_like(grads[0]), []
    for g in grads:
        velocity = momentum * velocity - g
        ascent.append(-lr * velocity)
    if all(D.matches(s, a) for s, a in zip(steps, ascent)):
        return diagnosis("optimizer-direction", "SGD with momentum moves up the gradient: "
                         "v = mu * v + dLdW, then W -= lr * v")
    return None
