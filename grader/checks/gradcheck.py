"""Numerical gradients and error measures, computed in the grader's process in float64.

The function being differentiated is the *student's own* forward (a callable
that performs a round trip to the worker); the result is compared with the
student's backward and with the reference. Everything here is plain NumPy on
arrays that already crossed the channel.

The scalar whose gradient is taken is ``g(x) = sum(v * f(x))`` for a random
upstream gradient ``v``, so ``grad g = J^T v``, exactly what ``backward(v)``
must return. Outputs are differenced *before* they are summed
(``sum(v * (f(x+h) - f(x-h)))``): unaffected entries then cancel exactly and the
round-off stays ~1e-16 |f| / h instead of ~1e-16 sum|v f| / h.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

#: Central-difference step. With |x| <= ~10 the truncation error (~h^2) and the
#: round-off (~1e-16/h) are both ~1e-10, far under the 1e-6 tolerance.
EPS = 1e-6
#: Relative tolerance of an analytic gradient against central differences.
NUMERIC_RTOL = 1e-6
#: Relative tolerance against the reference (same maths, only round-off differs).
REFERENCE_RTOL = 1e-8
#: Absolute floor, so an all-zero gradient (every ReLU off) compares sanely.
ATOL = 1e-10


def as_float_array(value: object) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def numeric_vjp(f: Callable[[np.ndarray], object], x: np.ndarray, v: np.ndarray | float,
                eps: float = EPS) -> np.ndarray:
    """J^T v of `f` at `x` by central differences, one coordinate at a time.

    `f` maps an array shaped like `x` to an array shaped like `v` (or to a
    scalar, with v = 1.0 for the gradient of a loss). Costs 2 * x.size calls of f.
    """
    return numeric_vjp_each(lambda inputs: [f(x_) for x_ in inputs], x, v, eps)


def numeric_vjp_each(f_each: Callable[[list[np.ndarray]], Sequence[object]], x: np.ndarray,
                     v: np.ndarray | float, eps: float = EPS) -> np.ndarray:
    """numeric_vjp with every evaluation asked for at once: `f_each` gets the 2 * x.size
    perturbed copies of `x` (x + eps e_0, x - eps e_0, x + eps e_1, ...: the order of
    numeric_vjp's calls) and returns f of each, in order; a student's f can then run in one
    round trip (RemoteObject.call_each, a Plan)."""
    x = np.array(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    inputs = []
    flat = x.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        for shifted in (original + eps, original - eps):
            flat[i] = shifted
            inputs.append(x.copy())
        flat[i] = original
    outputs = f_each(inputs)
    if len(outputs) != len(inputs):
        raise ValueError(f"f_each returned {len(outputs)} values for {len(inputs)} inputs")
    grad = np.zeros_like(x)
    out = grad.reshape(-1)
    for i in range(flat.size):
        plus, minus = as_float_array(outputs[2 * i]), as_float_array(outputs[2 * i + 1])
        out[i] = np.sum(v * (plus - minus)) / (2.0 * eps)
    return grad


def numeric_directional(f: Callable[[np.ndarray], object], x: np.ndarray, v: np.ndarray | float,
                        direction: np.ndarray, eps: float = EPS) -> float:
    """<J^T v, direction> by one central difference along `direction` (2 calls of f)."""
    x = np.asarray(x, dtype=np.float64)
    plus = as_float_array(f(x + eps * direction))
    minus = as_float_array(f(x - eps * direction))
    return float(np.sum(np.asarray(v, dtype=np.float64) * (plus - minus)) / (2.0 * eps))


def max_abs(a: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a))) if a.size else 0.0


def relative_error(actual: np.ndarray, expected: np.ndarray, atol: float = ATOL) -> float:
    """max |actual - expected| / max(max |expected|, max |actual|, atol), in [0, 2].

    One scale for the whole array: a gradient is wrong when it is wrong
    relative to its own size, not where a single entry happens to be ~0.
    Non-finite entries give +inf.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        return float("inf")
    scale = max(max_abs(a), max_abs(e), atol)
    return max_abs(a - e) / scale


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = REFERENCE_RTOL,
          atol: float = ATOL) -> bool:
    return relative_error(actual, expected, atol=atol) <= rtol


def random_like(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """An upstream gradient / direction: standard normal, float64."""
    return rng.standard_normal(shape)
