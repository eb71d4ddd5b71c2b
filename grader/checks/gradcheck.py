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

The round-off floor. Central differences cannot resolve a gradient finer than the forward's
own round-off divided by the step: f(x +- h) is computed from terms of some size T (the
logits a logsumexp sums, the 1 a saturated sigmoid's output sits next to), each value
carries a few ulps of T, so the difference carries ~eps_machine * T and the gradient
~eps_machine * T / h, whatever the gradient's own size. When every entry of a gradient is
that small (a confident cross-entropy's ~1e-6 beside logits ~10: round-off ~2e-10; a
saturated sigmoid at N=1), a relative comparison at NUMERIC_RTOL fails correct code. So
numeric_vjp / numeric_vjp_each return a `NumericGradient`, which carries `roundoff`, a bound
on that error:

    roundoff = max over coordinates i of
        ROUNDOFF_ULPS * eps_machine * sum_j |v_j| * T_j / (2 h),
    T_j = max(|f_j(x + h e_i)|, |f_j(x - h e_i)|, max |x|),

summed over the entries j that the shift changed (the others cancel exactly, see above).
The outputs alone are not T (the cross-entropy's loss is ~1e-6, its terms ~5.67), and the
forward's intermediate values are out of sight, so the size of its input stands in for
them. `relative_error` then floors the comparison's scale at roundoff / NUMERIC_RTOL: an
analytic gradient is told apart from the numerical one down to `roundoff` in absolute
terms and no further. With h = 1e-6 that is ~2e-9 sum_j |v_j| T_j absolute, and the floor
decides only where the whole gradient is below ~2e-3 sum_j |v_j| T_j (a confident
cross-entropy: floor ~1.7e-8 against entries of ~1e-6); a real bug moves a gradient by a
sizeable fraction of itself. Anything computed *from* a NumericGradient (a slice, a sum, a
product) is a plain array again, without a floor: never looser than before.

Measuring every coordinate costs 2 * x.size calls of the student's forward, most of a
numerical check's time, for a verdict that is nearly always "they agree". Given the
student's own gradient (`analytic`), numeric_vjp_each first measures the derivative along
SCREEN_DIRECTIONS random directions d (2 calls each: <J^T v, d> by one central difference)
and compares it with <analytic, d>. Only when every direction agrees, within the comparison's
own tolerance on the whole gradient (NUMERIC_RTOL of its largest entry, over |d|) plus the
direction's round-off, is `analytic` itself returned as the measurement; otherwise every
coordinate is measured as before, so a failing check reports exactly what it reported
(PyTorch's gradcheck has the same fast mode). A gradient of n entries wrong in one entry by a
fraction r of its largest escapes one direction with probability ~0.8 sqrt(n) NUMERIC_RTOL / r
and must escape both: for n = 50, ~3e-3 at r = 1e-4, ~3e-5 at 1e-3, ~3e-7 at 1e-2; a wrong
sign, factor, transpose or term moves many entries and escapes far less. The directions are
drawn from the input's own bytes, so each example draws new ones and the same example the
same ones.
"""

from __future__ import annotations

import zlib
from typing import Callable, Sequence

import numpy as np

from grader.sandbox.errors import StudentException, StudentFailure

#: Central-difference step. With |x| <= ~10 the truncation error (~h^2) and the
#: round-off (~1e-16/h) are both ~1e-10, far under the 1e-6 tolerance for gradients of
#: size ~1; for smaller ones the round-off floor below takes over.
EPS = 1e-6
#: Relative tolerance of an analytic gradient against central differences.
NUMERIC_RTOL = 1e-6
#: Relative tolerance against the reference (same maths, only round-off differs).
REFERENCE_RTOL = 1e-8
#: Absolute floor, so an all-zero gradient (every ReLU off) compares sanely.
ATOL = 1e-10
#: Random directions an analytic gradient is compared along before (instead of) measuring
#: each coordinate (see the module's docstring); inputs this small are measured outright.
SCREEN_DIRECTIONS = 2
#: The ulps of its terms' size each central difference f(x+h) - f(x-h) is allowed to carry
#: (a few per evaluation: logsumexp is a max, a subtraction, exp, a sum and a log), with a
#: margin. The float64 machine epsilon is used whatever dtype the forward returns: central
#: differences of a float32 forward are round-off at any floor, and the profiles that accept
#: float32 judge it against the definition instead.
ROUNDOFF_ULPS = 16


class NumericGradient(np.ndarray):
    """A gradient measured by central differences, with `roundoff`: a bound on the error its
    own finite differences can carry (see the module's docstring). Read by `relative_error`.
    Ufuncs and views of it give plain arrays / a zero floor: only the measured array itself
    is floored."""

    roundoff: float = 0.0

    def __array_finalize__(self, obj) -> None:
        self.roundoff = 0.0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(np.asarray(i) if isinstance(i, NumericGradient) else i for i in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, NumericGradient) else o
                                  for o in kwargs["out"])
        return getattr(ufunc, method)(*plain, **kwargs)

    def __repr__(self) -> str:
        return repr(np.asarray(self))


def difference_roundoff(plus: np.ndarray, minus: np.ndarray, v: np.ndarray | float,
                        terms: float, eps: float = EPS) -> float:
    """The round-off `sum(v * (plus - minus)) / (2 eps)` can carry: ROUNDOFF_ULPS ulps of
    T_j = max(|plus_j|, |minus_j|, terms) per entry j that differs (`terms`: the size of
    what the forward computes from, at least max |x|). plus, minus: f(x +- eps e_i), any
    shape v broadcasts against. 0.0 when anything is not finite (the comparison then
    fails on the non-finite values themselves, never on a floor)."""
    plus, minus = as_float_array(plus), as_float_array(minus)
    with np.errstate(all="ignore"):
        try:
            size = np.maximum(np.maximum(np.abs(plus), np.abs(minus)), terms)
            bound = float(np.sum(np.where(plus != minus, np.abs(np.asarray(v, dtype=np.float64)) * size,
                                          0.0)))
        except ValueError:  # shapes that do not broadcast: the comparison names them
            return 0.0
    if not np.isfinite(bound):
        return 0.0
    return ROUNDOFF_ULPS * float(np.finfo(np.float64).eps) * bound / (2.0 * eps)


def as_float_array(value: object) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def central_difference(plus: np.ndarray, minus: np.ndarray, v: np.ndarray | float, eps: float = EPS) -> float:
    """sum(v * (f(x + eps d) - f(x - eps d))) / (2 eps): <J^T v, d> for the step d that gave
    `plus` and `minus` (a coordinate's unit vector, or any direction)."""
    return float(np.sum(v * (plus - minus)) / (2.0 * eps))


def numeric_vjp(f: Callable[[np.ndarray], object], x: np.ndarray, v: np.ndarray | float,
                eps: float = EPS) -> NumericGradient:
    """J^T v of `f` at `x` by central differences, one coordinate at a time.

    `f` maps an array shaped like `x` to an array shaped like `v` (or to a
    scalar, with v = 1.0 for the gradient of a loss). Costs 2 * x.size calls of f.
    The result (shaped like `x`) carries its `roundoff`.
    """
    return numeric_vjp_each(lambda inputs: [f(x_) for x_ in inputs], x, v, eps)


def numeric_vjp_each(f_each: Callable[[list[np.ndarray]], Sequence[object]], x: np.ndarray,
                     v: np.ndarray | float, eps: float = EPS, *,
                     analytic: object = None) -> NumericGradient:
    """numeric_vjp with every evaluation asked for at once: `f_each` gets the 2 * x.size
    perturbed copies of `x` (x + eps e_0, x - eps e_0, x + eps e_1, ...: the order of
    numeric_vjp's calls) and returns f of each, in order; a student's f can then run in one
    round trip (RemoteObject.call_each, a Plan).

    `analytic`: the gradient the student's backward returned for the same x and v, when the
    caller has it first. If it agrees with f along random directions (`screened`), it is
    returned as the measurement, after 2 * SCREEN_DIRECTIONS calls of f instead of 2 * x.size."""
    x = np.array(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if analytic is not None:
        agreed = screened(f_each, x, v, analytic, eps)
        if agreed is not None:
            return agreed
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
    terms = max_abs(x)
    roundoff = 0.0
    for i in range(flat.size):
        plus, minus = as_float_array(outputs[2 * i]), as_float_array(outputs[2 * i + 1])
        out[i] = central_difference(plus, minus, v, eps)
        roundoff = max(roundoff, difference_roundoff(plus, minus, v, terms, eps))
    measured = grad.view(NumericGradient)
    measured.roundoff = roundoff
    return measured


def screened(f_each: Callable[[list[np.ndarray]], Sequence[object]], x: np.ndarray, v: np.ndarray,
             analytic: object, eps: float = EPS) -> NumericGradient | None:
    """`analytic` as the measured gradient of f at x (float64, no round-off floor) when central
    differences along SCREEN_DIRECTIONS random directions agree with it; None when they do
    not, when anything about them is off (a call that raises, a value of another shape, a
    non-finite one) or when x is too small to gain: the caller then measures every coordinate,
    and whatever went wrong here happens again there, where the check reports it."""
    if x.size <= SCREEN_DIRECTIONS or not isinstance(analytic, np.ndarray):
        return None
    if analytic.shape != x.shape or analytic.dtype.kind not in "fiu":
        return None
    a = analytic.astype(np.float64)
    if not np.all(np.isfinite(a)):
        return None
    directions = np.random.default_rng(zlib.crc32(x.tobytes())).standard_normal((SCREEN_DIRECTIONS, *x.shape))
    try:
        outputs = f_each([x + sign * eps * d for d in directions for sign in (1.0, -1.0)])
        if len(outputs) != 2 * SCREEN_DIRECTIONS:
            return None
        scale, terms = max(max_abs(a), ATOL), max_abs(x)
        for k, d in enumerate(directions):
            plus, minus = as_float_array(outputs[2 * k]), as_float_array(outputs[2 * k + 1])
            with np.errstate(all="ignore"):
                measured = central_difference(plus, minus, v, eps)
            allowed = NUMERIC_RTOL * scale * float(np.linalg.norm(d)) + difference_roundoff(plus, minus, v, terms,
                                                                                           eps)
            if not abs(measured - float(np.sum(a * d))) <= allowed:  # NaN: not agreed
                return None
    except StudentException:  # the student's code raised: it raises again where it is reported
        return None
    except StudentFailure:  # a time-out, the memory limit, a dead worker: the call's own cost,
        raise              # paid once (the ledger), reported as it happened
    except Exception:  # noqa: BLE001  (a value the comparison cannot read: measured and named there)
        return None
    measured_gradient = a.view(NumericGradient)
    measured_gradient.roundoff = 0.0
    return measured_gradient


def numeric_directional(f: Callable[[np.ndarray], object], x: np.ndarray, v: np.ndarray | float,
                        direction: np.ndarray, eps: float = EPS) -> float:
    """<J^T v, direction> by one central difference along `direction` (2 calls of f)."""
    x = np.asarray(x, dtype=np.float64)
    plus = as_float_array(f(x + eps * direction))
    minus = as_float_array(f(x - eps * direction))
    return central_difference(plus, minus, np.asarray(v, dtype=np.float64), eps)


def max_abs(a: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a))) if a.size else 0.0


def roundoff_scale(value: object) -> float:
    """The scale below which `value`, a NumericGradient, cannot tell gradients apart at
    NUMERIC_RTOL (its roundoff / NUMERIC_RTOL); 0.0 for any other value."""
    return getattr(value, "roundoff", 0.0) / NUMERIC_RTOL if isinstance(value, NumericGradient) else 0.0


def relative_error(actual: np.ndarray, expected: np.ndarray, atol: float = ATOL) -> float:
    """max |actual - expected| / max(max |expected|, max |actual|, atol, round-off), in [0, 2].

    One scale for the whole array: a gradient is wrong when it is wrong
    relative to its own size, not where a single entry happens to be ~0.
    A NumericGradient on either side floors the scale at `roundoff_scale` (see the
    module's docstring). Non-finite entries give +inf.
    """
    atol = max(atol, roundoff_scale(actual), roundoff_scale(expected))
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
