"""Signatures of activation bugs: ReLU's mask, a derivative taken at the output or applied
twice, softplus for ReLU, overflow for large inputs.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.signatures.match import _numeric, first, matches
from grader.results import Diagnosis


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu_mask_signature(x: np.ndarray, grad_out: np.ndarray, actual: object) -> Diagnosis | None:
    """ReLU backward gated on grad_out > 0 instead of x > 0 -> relu-mask. Only where that gate
    zeroed some of grad_out: one that zeroed nothing (every grad_out > 0 here, as inside an
    MLP it may be) cannot be told from no gate at all (relu_unmasked_signature)."""
    g = np.asarray(grad_out, dtype=np.float64)
    gated_on_grad = np.where(g > 0, g, 0.0)
    gated_on_both = np.where((g > 0) & (np.asarray(x) > 0), g, 0.0)
    for wrong in (gated_on_grad, gated_on_both):
        if (matches(actual, wrong) and not matches(wrong, np.where(np.asarray(x) > 0, g, 0.0))
                and not matches(wrong, g)):
            return diagnosis("relu-mask", "ReLU.backward gates on (grad_out > 0); it must gate on the "
                             "forward input: pass grad_out where x > 0 and 0 elsewhere")
    return None


def relu_unmasked_signature(x: np.ndarray, grad_out: np.ndarray, actual: object) -> Diagnosis | None:
    """ReLU backward returning grad_out as it came, gated on nothing -> wrong-gradient."""
    g = np.asarray(grad_out, dtype=np.float64)
    if matches(actual, g) and not matches(g, np.where(np.asarray(x) > 0, g, 0.0)):
        return diagnosis("wrong-gradient", "ReLU.backward returns grad_out unchanged, where x <= 0 too; "
                         "it must gate on the forward input: pass grad_out where x > 0 and 0 elsewhere")
    return None


def relu_softplus_signature(x: np.ndarray, grad_out: np.ndarray, actual: object) -> Diagnosis | None:
    """ReLU backward = grad_out * sigmoid(x), the derivative of softplus -> wrong-gradient."""
    if matches(actual, np.asarray(grad_out) * _sigmoid(np.asarray(x, dtype=np.float64))):
        return diagnosis("wrong-gradient", "ReLU.backward multiplies by sigmoid(x), the derivative "
                         "of softplus, not of ReLU: multiply by (x > 0) instead")
    return None


def relu_softplus_function_signature(x: np.ndarray, grad_out: np.ndarray,
                                     actual: object) -> Diagnosis | None:
    """ReLU backward = grad_out * log(1 + exp(x)): softplus itself, not a derivative, as in
    this project's seed bug (and students' "smooth ReLU") -> wrong-gradient."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad_out, dtype=np.float64)
    # logaddexp(0, x) = log(1 + exp(x)) without the overflow for large x.
    for at, where in ((x, "x"), (np.maximum(x, 0.0), "the cached output relu(x)")):
        if matches(actual, g * np.logaddexp(0.0, at)):
            return diagnosis("wrong-gradient", f"ReLU.backward multiplies grad_out by "
                             f"np.log(1 + np.exp({'x' if where == 'x' else 'out'})), softplus of "
                             f"{where}: that is a function, not ReLU's derivative; "
                             "return grad_out * (x > 0)")
    return None


def derivative_at_output_signature(kind: str, x: np.ndarray, grad_out: np.ndarray,
                                   actual: object) -> Diagnosis | None:
    """The derivative evaluated at the forward output as if it were the input:
    sigmoid'(sigmoid(x)) or tanh'(tanh(x)) -> activation-derivative-applied-twice."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad_out, dtype=np.float64)
    if kind == "sigmoid":
        ss = _sigmoid(_sigmoid(x))
        wrong = g * ss * (1.0 - ss)
        name, fix = "sigmoid", "use s * (1 - s) with s the cached output, not sigmoid(s)"
    elif kind == "tanh":
        wrong = g * (1.0 - np.tanh(np.tanh(x)) ** 2)
        name, fix = "tanh", "use 1 - t**2 with t the cached output, not 1 - tanh(t)**2"
    else:
        return None
    if matches(actual, wrong):
        return diagnosis("activation-derivative-applied-twice", f"{name.capitalize()}.backward "
                         f"applies {name} to the cached output again before differentiating: {fix}")
    return None


def derivative_on_input_signature(kind: str, x: np.ndarray, grad_out: np.ndarray,
                                  actual: object) -> Diagnosis | None:
    """The output-form derivative (s(1-s), 1-t**2) evaluated at the *input* x -> wrong-gradient."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad_out, dtype=np.float64)
    if kind == "sigmoid":
        wrong, name, formula, var = g * x * (1.0 - x), "Sigmoid", "s * (1 - s)", "s = sigmoid(x)"
    elif kind == "tanh":
        wrong, name, formula, var = g * (1.0 - x ** 2), "Tanh", "1 - t**2", "t = tanh(x)"
    else:
        return None
    if matches(actual, wrong):
        return diagnosis("wrong-gradient", f"{name}.backward evaluates {formula} at the forward "
                         f"input x; that formula needs the forward output {var}")
    return None


#: The overflow-free way to write each activation's derivative, as advice.
STABLE_DERIVATIVE = {
    "sigmoid": "compute it from the cached output s (grad_out * s * (1 - s)), with s from a "
               "forward that only calls exp of -|x|",
    "tanh": "use np.tanh in forward and grad_out * (1 - t**2) with t the cached output, not "
            "(e^x - e^-x) / (e^x + e^-x)",
    "relu": "use grad_out * (x > 0); no exp is needed",
    "softmax": "subtract each row's max before np.exp and build the Jacobian from the finite "
               "probabilities",
}


def activation_overflow_signature(kind: str, x: np.ndarray, actual: object, *,
                                  what: str) -> Diagnosis | None:
    """inf/NaN from an activation's backward where |x| is large: exp(-x) or exp(x) overflowed
    (inf / inf = NaN) -> wrong-gradient, naming the overflow and the stable form."""
    if not _numeric(actual):
        return None
    arr = np.asarray(actual, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if arr.shape != xs.shape or not np.any(bad):
        return None
    worst = float(xs[bad][np.argmax(np.abs(xs[bad]))])
    kind_of = "NaN" if np.any(np.isnan(arr)) else "inf"
    fix = STABLE_DERIVATIVE.get(kind, "use a form that never exponentiates a large positive number")
    return diagnosis("wrong-gradient", f"{what} gives {kind_of} at x = {worst:.4g}: np.exp of a "
                     f"large number overflows to inf (and inf / inf is NaN); {fix}")


def activation_backward_signature(kind: str, x: np.ndarray, grad_out: np.ndarray,
                                  actual: object) -> Diagnosis | None:
    """Every known activation-backward bug, most specific first."""
    candidates: list[Callable[[], Diagnosis | None]] = []
    if kind == "relu":
        candidates += [lambda: relu_mask_signature(x, grad_out, actual),
                       lambda: relu_unmasked_signature(x, grad_out, actual),
                       lambda: relu_softplus_signature(x, grad_out, actual),
                       lambda: relu_softplus_function_signature(x, grad_out, actual)]
    candidates += [lambda: derivative_at_output_signature(kind, x, grad_out, actual),
                   lambda: derivative_on_input_signature(kind, x, grad_out, actual)]
    return first(*candidates)
