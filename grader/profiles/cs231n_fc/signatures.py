"""Failure signatures of CS231n's batchnorm and layernorm, in the course's names.

Like grader/checks/diagnose.py: pure functions on arrays that return a Diagnosis when what
the student returned equals a known wrong formula, else None. x is (N, D); gamma, beta and
the running statistics are (D,). Unit tests: tests/profiles/test_cs231n_signatures.py.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import diagnosis
from grader.profiles.cs231n_fc import reference as R
from grader.results import Diagnosis

#: The axis each function must average over, in words a student can act on.
AXIS_ADVICE = {"batchnorm": "over the batch, axis=0 (one mean per feature)",
               "layernorm": "over the features, axis=1 (one mean per sample)"}


def first_formula(actual: object, wrong: Mapping[str, np.ndarray | None], diagnosis_id: str,
                  prefix: str) -> Diagnosis | None:
    """The first wrong formula `actual` equals, named by its fix ("{prefix} {fix}")."""
    for fix, value in wrong.items():
        if value is not None and D.matches(actual, value):
            return diagnosis(diagnosis_id, f"{prefix} {fix}")
    return None


def _unbiased_ok(x: np.ndarray, axis: int) -> bool:
    return x.shape[axis] > 1


def norm_forward_signature(kind: str, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                           eps: float, actual: object) -> Diagnosis | None:
    """Train-mode forward bugs: statistics over the other axis, ddof=1, eps outside the root."""
    axis, other = R.NORM_AXIS[kind], 1 - R.NORM_AXIS[kind]
    centred = x - x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    name = f"{kind}_forward"
    # Layernorm over the batch mixes samples: the id students search for is batch-dependence.
    axis_id = "batch-dependence" if kind == "layernorm" else "wrong-forward"
    if x.shape[0] > 1 and x.shape[1] > 1 and D.matches(actual, R.norm_forward(x, gamma, beta, other, eps)):
        return diagnosis(axis_id, f"{name} takes the mean and variance over axis={other}; take them "
                         f"{AXIS_ADVICE[kind]}")
    return first_formula(actual, {
        "uses the unbiased variance (ddof=1); use the biased np.var(x, axis=%d)" % axis:
            gamma * centred / np.sqrt(x.var(axis=axis, ddof=1, keepdims=True) + eps) + beta
            if _unbiased_ok(x, axis) else None,
        "adds eps outside the square root; x_hat = (x - mean) / np.sqrt(var + eps)":
            gamma * centred / (np.sqrt(var) + eps) + beta,
        "divides by the variance, not its square root: x_hat = (x - mean) / np.sqrt(var + eps)":
            gamma * centred / (var + eps) + beta,
        "never applies gamma and beta: out = gamma * x_hat + beta": centred / np.sqrt(var + eps),
    }, "wrong-forward", name)


def running_stats_signature(x: np.ndarray, momentum: float, before: tuple[np.ndarray, np.ndarray],
                            after: tuple[object, object]) -> Diagnosis | None:
    """What the student's bn_param running_mean/running_var update did with one batch x."""
    (rm, rv), (got_mean, got_var) = before, after
    mean, var = x.mean(axis=0), x.var(axis=0)
    rule = ("running_mean = momentum * running_mean + (1 - momentum) * sample_mean (the same "
            "for running_var), stored back in bn_param")
    if got_mean is None or got_var is None or (D.matches(got_mean, rm) and D.matches(got_var, rv)):
        return diagnosis("running-statistics", "batchnorm_forward in train mode leaves bn_param's "
                         "running_mean/running_var as they were: the dict the caller passed must "
                         f"change (bn_param['running_mean'] = ...): {rule}")
    if D.matches(got_mean, (1 - momentum) * rm + momentum * mean):
        return diagnosis("running-statistics", "batchnorm_forward weighs the batch by momentum: "
                         f"momentum belongs to the old value, {rule}")
    if D.matches(got_mean, mean) and D.matches(got_var, var):
        return diagnosis("running-statistics", "batchnorm_forward replaces the running statistics "
                         f"by the batch's: average them, {rule}")
    if x.shape[0] > 1 and D.matches(got_var, momentum * rv + (1 - momentum) * x.var(axis=0, ddof=1)):
        return diagnosis("running-statistics", "batchnorm_forward averages the unbiased variance "
                         "(ddof=1) into running_var; use the biased np.var(x, axis=0)")
    return None


def batch_stats_in_test_signature(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
                        actual: object) -> Diagnosis | None:
    """mode 'test' normalising with the batch's statistics instead of the running ones."""
    if x.shape[0] > 1 and D.matches(actual, R.norm_forward(x, gamma, beta, 0, eps)):
        return diagnosis("eval-mode", "batchnorm_forward in test mode normalises with the batch's "
                         "mean and variance; use bn_param's running_mean and running_var")
    return None


def param_gradient_signature(name: str, which: str, value: object, x: np.ndarray,
                             dout: np.ndarray, eps: float) -> Diagnosis | None:
    """dgamma or dbeta of the backward `name` kept per sample or summed over the features
    (axis=1) instead of over the batch. Both normalisations sum over the batch."""
    x_hat = R.normalize(x, R.NORM_AXIS[name.split("_")[0]], eps)[0]
    term = dout * x_hat if which == "dgamma" else dout
    arr = np.asarray(value)
    n, d = x.shape
    formula = "np.sum(dout * x_hat, axis=0)" if which == "dgamma" else "np.sum(dout, axis=0)"
    if arr.shape == (n, d) and n > 1:
        how = "keeps the batch axis"
    elif arr.shape == (n,) and n != d or D.matches(arr, term.sum(axis=1)):
        how = "sums over the features (axis=1)"
    else:
        return None
    return diagnosis("bias-gradient-not-summed", f"{name}'s {which} {how}: sum over the batch, "
                     f"{which} = {formula}, shape ({d},)")


def constant_statistics_signature(name: str, x: np.ndarray, gamma: np.ndarray, dout: np.ndarray,
                                  eps: float, actual: object) -> Diagnosis | None:
    """dx of the backward `name` as if the mean and variance were constants (one or both of
    their terms left out)."""
    kind = name.split("_")[0]
    axis = R.NORM_AXIS[kind]
    x_hat, std = R.normalize(x, axis, eps)
    g = dout * gamma
    mean_term, var_term = g.mean(axis=axis, keepdims=True), x_hat * (g * x_hat).mean(axis=axis, keepdims=True)
    stats = "mean" if kind == "layernorm" else "batch mean"
    return first_formula(actual, {
        f"treats the {stats} and variance as constants: they depend on x, so dx = (dx_hat - "
        "mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / std": g / std,
        f"leaves out the gradient through the {stats}: subtract mean(dx_hat) too": (g - var_term) / std,
        "leaves out the gradient through the variance: subtract x_hat * mean(dx_hat * x_hat) too":
            (g - mean_term) / std,
    }, "wrong-gradient", name)
