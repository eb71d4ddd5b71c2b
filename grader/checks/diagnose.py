"""Failure signatures: which known bug explains the difference from the reference?

Each signature is a small pure function on arrays (what the student returned,
what the reference returns on the same input, and the input) that returns a
`Diagnosis` when the difference has its shape, and None otherwise. Checks try
the specific signatures first and fall back to `wrong-forward` /
`wrong-gradient`. Every signature has a unit test in tests/checks/.

Adding a signature: write the function, test it on an array made by the buggy
formula, and call it from the check that sees that bug.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from grader.checks.framework import CheckFailure, diagnosis
from grader.checks.gradcheck import REFERENCE_RTOL, relative_error
from grader.results import Diagnosis

#: How close a distorted reference must be to what the student returned to name
#: that distortion (looser than REFERENCE_RTOL: the student's round-off differs).
MATCH_RTOL = 1e-6


def matches(actual: object, expected: object, rtol: float = MATCH_RTOL) -> bool:
    a = np.asarray(actual, dtype=np.float64) if _numeric(actual) else None
    e = np.asarray(expected, dtype=np.float64)
    return a is not None and a.shape == e.shape and relative_error(a, e) <= rtol


def _numeric(value: object) -> bool:
    try:
        arr = np.asarray(value)
    except Exception:
        return False
    return arr.dtype.kind in "biuf"


def first(*candidates: Callable[[], Diagnosis | None]) -> Diagnosis | None:
    """The first signature (lazily evaluated) that recognises the failure."""
    for candidate in candidates:
        found = candidate()
        if found is not None:
            return found
    return None


def fmt(array: object, precision: int = 4) -> str:
    arr = np.asarray(array)
    if arr.dtype.kind == "f":
        return np.array2string(arr, precision=precision, threshold=40, edgeitems=3)
    return np.array2string(arr, threshold=40, edgeitems=3)


# -- structure: shape, dtype, finiteness ----------------------------------------------
def shape_signature(actual: object, expected_shape: tuple[int, ...], *, what: str) -> Diagnosis | None:
    """Wrong shape (or not an array at all) -> shape-mismatch; a transposed result is named."""
    arr = np.asarray(actual)
    shape = tuple(arr.shape)
    expected_shape = tuple(expected_shape)
    if shape == expected_shape:
        return None
    if len(expected_shape) == 2 and shape == expected_shape[::-1]:
        return diagnosis("shape-mismatch", f"{what} has shape {shape}, the transpose of the required "
                         f"{expected_shape}: swap the operands or transpose the product")
    if len(shape) > len(expected_shape) >= 2 and int(np.prod(shape)) == int(np.prod(expected_shape)):
        # The same entries in more axes: an input of shape (N, d1, ..., dk) used without being
        # flattened to (N, D). Said even when every size is 1 and the shapes alone hide it.
        return diagnosis("shape-mismatch", f"{what} has shape {shape}; the contract requires "
                         f"{expected_shape}: the same entries in {len(shape)} axes instead of "
                         f"{len(expected_shape)}, as when an input with more than two axes is not "
                         "flattened first: reshape x to (N, D) with x.reshape(x.shape[0], -1) "
                         "before the product")
    if 2 <= len(shape) < len(expected_shape) and int(np.prod(shape)) == int(np.prod(expected_shape)):
        # The reverse: a gradient computed on the flattened input and not given its shape back.
        return diagnosis("shape-mismatch", f"{what} has shape {shape}; the contract requires "
                         f"{expected_shape}: the same entries in {len(shape)} axes instead of "
                         f"{len(expected_shape)}: give it back the input's shape with "
                         ".reshape(x.shape)")
    return diagnosis("shape-mismatch", f"{what} has shape {shape}; the contract requires "
                     f"{expected_shape}")


def dtype_signature(actual: object, *, what: str, kinds: str = "f") -> Diagnosis | None:
    """float64 in must give float64 out; float32 (or float16) loses precision -> dtype."""
    arr = np.asarray(actual)
    if kinds == "f" and arr.dtype == np.float64:
        return None
    if kinds == "i" and arr.dtype.kind in "iu":
        return None
    if kinds == "i":
        return diagnosis("dtype", f"{what} has dtype {arr.dtype}; it must hold integer class "
                         "labels (np.argmax returns them)")
    if arr.dtype.kind == "f":
        return diagnosis("dtype", f"{what} has dtype {arr.dtype} for float64 input: do not cast "
                         "to a lower precision; keep every array float64")
    return diagnosis("dtype", f"{what} has dtype {arr.dtype}; for float64 input it must be float64")


def finite_signature(actual: object, *, what: str, diagnosis_id: str = "wrong-forward",
                     advice: str = "") -> Diagnosis | None:
    arr = np.asarray(actual, dtype=np.float64)
    if np.all(np.isfinite(arr)):
        return None
    kind = "NaN" if np.any(np.isnan(arr)) else "inf"
    return diagnosis(diagnosis_id, f"{what} contains {kind}" + (f": {advice}" if advice else ""))


def precision_signature(actual: object, expected: object, *, what: str) -> Diagnosis | None:
    """float64 returned but computed in float32: off by ~1e-7 relative, not more -> dtype."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return None
    err = relative_error(a, e)
    if REFERENCE_RTOL < err <= 1e-4:
        return diagnosis("dtype", f"{what} agrees with the exact value only to ~{int(-np.log10(err))} "
                         "digits, as float32 arithmetic does: keep every array float64 (no "
                         ".astype(np.float32), no float32 constants)")
    return None


# -- constant factors ------------------------------------------------------------------
def constant_factor(actual: object, expected: object, residual: float = 1e-6) -> float | None:
    """c with actual ~= c * expected (least squares), if the fit explains actual; else None."""
    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    e = np.asarray(expected, dtype=np.float64).reshape(-1)
    if a.shape != e.shape or a.size == 0 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        return None
    ee = float(e @ e)
    if ee == 0.0:
        return None
    c = float(a @ e) / ee
    if relative_error(a, c * e) > residual or c == 0.0 and np.any(a != 0):
        return None
    return c


def _near(c: float, target: float, rtol: float = 1e-3) -> bool:
    return abs(c - target) <= rtol * abs(target)


def name_factor(c: float, *, n: int | None = None, size: int | None = None,
                k: int | None = None) -> str | None:
    """Name the constant: 'N', '1/N', '2', ... (None when it is none of the usual ones)."""
    named: list[tuple[float, str]] = []
    if n is not None and n > 1:
        named += [(n, "N"), (1.0 / n, "1/N"), (2.0 * n, "2N"), (1.0 / (2.0 * n), "1/(2N)")]
    if size is not None and size > 1 and size != n:
        named += [(size, "N*K"), (1.0 / size, "1/(N*K)")]
    if k is not None and k > 1 and k != size:
        named += [(k, "K"), (1.0 / k, "1/K")]
    named += [(2.0, "2"), (0.5, "1/2"), (-1.0, "-1")]
    for value, name in named:
        if _near(c, value):
            return name
    return None


def scale_signature(actual: object, expected: object, *, what: str, n: int | None = None,
                    size: int | None = None, k: int | None = None,
                    advice: dict[str, str] | None = None) -> Diagnosis | None:
    """actual = c * expected for a constant c != 1.

    c = -1 -> wrong-gradient (a sign error); any other constant -> gradient-scale,
    naming N / 1/N / 2 / 1/2 when the factor is one of those. `advice` maps a
    factor's name to a specific fix.
    """
    c = constant_factor(actual, expected)
    if c is None or abs(c) < 1e-3 or _near(c, 1.0, 1e-3):
        return None  # no constant, zero, or just round-off (precision_signature's job)
    name = name_factor(c, n=n, size=size, k=k)
    nonzero = int(np.count_nonzero(np.abs(np.asarray(expected, dtype=np.float64)) > 1e-12))
    if nonzero < 1 or (name is None and nonzero < 3):
        return None  # with one or two numbers, any difference "is" a constant factor
    advice = advice or {}
    if name == "-1" or _near(c, -1.0):
        return diagnosis("wrong-gradient", advice.get("-1", f"{what} has the opposite sign of the "
                         "true gradient: check the sign of each term (d(-log p) / dz = p - onehot)"))
    if name is None:
        return diagnosis("gradient-scale", advice.get("?", f"{what} is the correct gradient times "
                         f"{c:.4g}: look for a stray constant factor"))
    default = {
        "N": f"{what} is N times too large: divide by the batch size N (the loss is a mean)",
        "1/N": f"{what} is N times too small: it is divided by the batch size N once too often",
        "2": f"{what} is 2 times too large: look for a doubled term or a stray factor 2",
        "1/2": f"{what} is half the true gradient: the derivative of (p - t)**2 is 2 (p - t)",
        "N*K": f"{what} is N*K times too large: divide by the number of elements (the loss is a mean)",
        "1/(N*K)": f"{what} is N*K times too small: it is divided by the number of elements twice",
        "K": f"{what} is K times too large: divide by N*K, the number of elements, not by N",
        "1/K": f"{what} is K times too small: divide by N*K once, not by an extra K",
        "2N": f"{what} is 2N times too large: divide by the batch size N and drop the stray 2",
        "1/(2N)": f"{what} is 2N times too small: include the factor 2 and divide by N only once",
    }
    return diagnosis("gradient-scale", advice.get(name, default[name]))


def loss_reduction_signature(actual: float, expected: float, *, what: str, n: int,
                             size: int | None = None) -> Diagnosis | None:
    """Loss value = reference x N (summed over the batch) or x N*K (summed over every element)
    or x K (averaged over the batch only) -> loss-reduction."""
    if not np.isfinite(actual) or expected == 0.0:
        return None
    c = float(actual) / float(expected)
    candidates = {"N": n}
    if size is not None:
        candidates["N*K"] = size
        if n and size % n == 0:
            candidates["K"] = size // n
    for name, value in candidates.items():
        if value > 1 and _near(c, value, 1e-6):
            how = {"N": "summed over the batch", "N*K": "summed over every element",
                   "K": "averaged over the batch only, not over every element"}[name]
            return diagnosis("loss-reduction", f"{what} is {name} times the contract's value: it is "
                             f"{how}; return the mean (np.mean)")
    if n > 1 and _near(c, 1.0 / n, 1e-6):
        return diagnosis("loss-reduction", f"{what} is N times too small: it is divided by the "
                         "batch size twice")
    return None


# -- activations ---------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu_mask_signature(x: np.ndarray, grad_out: np.ndarray, actual: object) -> Diagnosis | None:
    """ReLU backward gated on grad_out > 0 instead of x > 0 -> relu-mask."""
    g = np.asarray(grad_out, dtype=np.float64)
    gated_on_grad = np.where(g > 0, g, 0.0)
    gated_on_both = np.where((g > 0) & (np.asarray(x) > 0), g, 0.0)
    for wrong in (gated_on_grad, gated_on_both):
        if matches(actual, wrong) and not matches(wrong, np.where(np.asarray(x) > 0, g, 0.0)):
            return diagnosis("relu-mask", "ReLU.backward gates on (grad_out > 0); it must gate on the "
                             "forward input: pass grad_out where x > 0 and 0 elsewhere")
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
                       lambda: relu_softplus_signature(x, grad_out, actual),
                       lambda: relu_softplus_function_signature(x, grad_out, actual)]
    candidates += [lambda: derivative_at_output_signature(kind, x, grad_out, actual),
                   lambda: derivative_on_input_signature(kind, x, grad_out, actual)]
    return first(*candidates)


# -- softmax and cross-entropy ------------------------------------------------------------
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


def extreme_mismatch_signature(actual: object, expected: object, *, what: str) -> Diagnosis | None:
    """Finite but wrong for logits of magnitude ~1000 (while right for small ones): clipping the
    logits, or log of an underflowed probability plus an epsilon -> softmax-overflow."""
    found = overflow_signature(actual, what=what)
    if found is not None:
        return found
    if matches(actual, expected, rtol=1e-6):
        return None
    return diagnosis("softmax-overflow", f"{what} is wrong for logits of magnitude ~1000 although "
                     "right for small ones: do not clip the logits or add an epsilon inside the log; "
                     "subtract the row max and use log-softmax")


def softmax_forward_signature(logits: np.ndarray, actual: object) -> Diagnosis | None:
    return first(lambda: overflow_signature(actual, what="softmax"),
                 lambda: softmax_axis_signature(actual))


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


# -- Linear --------------------------------------------------------------------------
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


# -- repeated calls ---------------------------------------------------------------------
def stale_gradient_signature(first_grad: object, second_grad: object, *, what: str) -> Diagnosis | None:
    """A second backward with the same input gives twice the first -> accumulation."""
    if matches(second_grad, 2.0 * np.asarray(first_grad, dtype=np.float64)):
        return diagnosis("stale-gradient", f"{what} doubles on a second backward with the same "
                         "input: it accumulates (+=); assign the new gradient (=) instead")
    return None


def accumulated_signature(previous: object, current: object, fresh: object, *,
                          what: str) -> Diagnosis | None:
    """current = previous + fresh: gradients summed across backward calls -> stale-gradient."""
    prev = np.asarray(previous, dtype=np.float64)
    if matches(current, prev + np.asarray(fresh, dtype=np.float64)):
        return diagnosis("stale-gradient", f"{what} is the sum of this backward's gradient and the "
                         "previous one: overwrite it (self.dW = ...), do not accumulate (+=)")
    return None


def repeat_mismatch(first_value: object, second_value: object, *, what: str,
                    call: str) -> Diagnosis:
    """Two identical calls disagree: something cached was modified in place."""
    example = ("delta = probs; delta[...] -= 1" if "SoftmaxCrossEntropy" in call
                else "self.cache *= 2, or an out= argument")
    return diagnosis("input-mutation", f"calling {call} twice with the same input gives different "
                     f"{what}: it modifies a cached array in place (e.g. {example}); copy before "
                     "editing, or compute into a new array")


# -- batches ------------------------------------------------------------------------------
def batch_dependence_diagnosis(*, what: str) -> Diagnosis:
    return diagnosis("batch-dependence", f"{what}: the output for one sample changes when the "
                     "other samples in the batch change; compute each row from its own input only "
                     "(no statistics over axis 0)")


# -- SGD --------------------------------------------------------------------------------
def sgd_signature(before: np.ndarray, after: object, grad: np.ndarray, lr: float, *,
                  what: str) -> Diagnosis | None:
    """Classify W_after - W_before against -lr * grad."""
    before = np.asarray(before, dtype=np.float64)
    if not _numeric(after) or np.asarray(after).shape != before.shape:
        return diagnosis("optimizer-update", f"after SGD.step {what} has shape "
                         f"{np.asarray(after).shape}, not {before.shape}")
    step = np.asarray(after, dtype=np.float64) - before
    expected = -lr * np.asarray(grad, dtype=np.float64)
    if relative_error(step, expected, atol=1e-12) <= 1e-7:
        return None
    if not np.all(np.isfinite(step)):
        return diagnosis("optimizer-update", f"SGD.step makes {what} non-finite")
    if lr != 0.0 and np.max(np.abs(step)) == 0.0:
        return diagnosis("optimizer-skips-parameters", f"SGD.step leaves {what} unchanged: update "
                         "every layer's W and b (W -= lr * dW, b -= lr * db)")
    if lr == 0.0:
        return diagnosis("optimizer-update", f"with lr = 0 SGD.step still changes {what}: it "
                         "ignores the learning rate passed to SGD(layers, lr)")
    c = constant_factor(step, grad)
    if c is not None:
        if _near(c, -lr, 1e-6):
            return None
        if c > 0:
            return diagnosis("optimizer-direction", f"SGD.step moves {what} up the gradient "
                             "(W += lr * dW); gradient descent subtracts: W -= lr * dW")
        return diagnosis("optimizer-update", f"SGD.step moves {what} by {-c:.4g} * grad with "
                         f"lr = {lr:g}: use the lr passed to SGD(layers, lr): W -= lr * dW")
    return diagnosis("optimizer-update", f"SGD.step does not change {what} by -lr * grad")


def raise_first(found: Iterable[Diagnosis | None], *, message: str = "") -> None:
    """Raise a CheckFailure for the first non-None diagnosis, if any."""
    for d in found:
        if d is not None:
            raise CheckFailure(d, message=message)


# -- helpers the checks call: each raises a CheckFailure naming the bug -------------------
def require_array(actual: object, shape: tuple[int, ...], *, what: str, kinds: str = "f",
                  extra: Callable[[], Diagnosis | None] | None = None) -> np.ndarray:
    """`actual` must be an array of `shape` and dtype float64 (kinds="f") or integer ("i").

    `extra` is tried before the generic shape-mismatch (e.g. the bias-gradient signature).
    """
    if actual is None:
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} is None: the method must return "
                                     f"(or set) an array of shape {tuple(shape)}"))
    # A student object stays in the worker; its own class name is what the student wrote.
    kind = getattr(actual, "type_name", None) or type(actual).__name__
    if kind == "NotImplementedType":
        # MyTorch's handouts stub methods with `return NotImplemented`.
        raise CheckFailure(diagnosis("missing-api", f"{what} is NotImplemented: the handout's stub "
                                     f"is still there; return an array of shape {tuple(shape)}"))
    if not _numeric(actual):
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} is a {kind}, "
                                     f"not a numeric array of shape {tuple(shape)}"))
    arr = np.asarray(actual)
    if tuple(arr.shape) != tuple(shape):
        found = extra() if extra is not None else None
        raise CheckFailure(found or shape_signature(arr, shape, what=what))  # type: ignore[arg-type]
    found = dtype_signature(arr, what=what, kinds=kinds)
    if found is not None:
        raise CheckFailure(found)
    return arr


def require_scalar(actual: object, *, what: str) -> float:
    """A loss: a Python float, a NumPy scalar or a 0-d (or 1-element) float array."""
    if actual is None or not _numeric(actual) or np.asarray(actual).size != 1:
        shape = None if actual is None else np.asarray(actual).shape
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} returns "
                                     f"{'None' if actual is None else 'an array of shape ' + str(shape)}; "
                                     "it must return a single float (the mean loss)"))
    arr = np.asarray(actual)
    if arr.dtype.kind == "f" and arr.dtype != np.float64:
        raise CheckFailure(diagnosis("dtype", f"{what} returns a {arr.dtype} value; compute and "
                                     "return the loss in float64"))
    return float(arr.reshape(-1)[0])


class shape_errors:
    """`with shape_errors("Linear.backward"):` turns the student's own shape error (a ValueError
    from matmul or broadcasting) into shape-mismatch, naming the operands' problem."""

    MARKERS = ("matmul", "could not be broadcast", "not aligned", "shapes", "dimension")

    def __init__(self, what: str, hint: str = "") -> None:
        self.what, self.hint = what, hint

    def __enter__(self) -> "shape_errors":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        from grader.sandbox import StudentException

        if exc is None or not isinstance(exc, StudentException):
            return False
        if exc.exc_type != "ValueError" or not any(m in exc.message for m in self.MARKERS):
            return False
        hint = self.hint or (f"{self.what} multiplies or adds arrays of incompatible shapes: check "
                             "each product's operands (and where a transpose .T is needed)")
        raise CheckFailure(diagnosis("shape-mismatch", hint), message=f"{hint}\n{exc.message}",
                           output=exc.output) from None


#: Arrays with more entries (or rows) than this are summarised in a message, not printed:
#: a 64 x 64 dump wraps mid-row at 80 columns and hides where the two arrays differ.
SUMMARY_ENTRIES = 12
SUMMARY_ROWS = 4
#: How many differing entries a summary lists, got and expected side by side.
SUMMARY_SHOWN = 5


def _too_big(arr: np.ndarray) -> bool:
    return arr.size > SUMMARY_ENTRIES or (arr.ndim >= 2 and arr.shape[0] > SUMMARY_ROWS)


def _number(x: float) -> str:
    return f"{x:.4g}"


def array_summary(actual: object, expected: object) -> str | None:
    """Two same-shaped arrays too big to print, told as a reader compares them: the shape, how
    many entries differ and the largest difference, then the first differing entries with got
    and expected side by side. None when both are small enough to print whole, or not arrays
    of one shape (the caller prints them)."""
    a = np.asarray(actual, dtype=np.float64) if _numeric(actual) else None
    e = np.asarray(expected, dtype=np.float64) if _numeric(expected) else None
    if a is None or e is None or a.shape != e.shape or not (_too_big(a) or _too_big(e)):
        return None
    scale = max(float(np.max(np.abs(e), initial=0.0)), 1e-12)
    differ = ~np.isclose(a, e, rtol=1e-6, atol=1e-9 * scale, equal_nan=True)
    where = np.argwhere(differ)
    n = int(differ.sum())
    if n == 0:
        return None
    diff = np.where(differ, np.abs(a - e), 0.0)
    worst = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(np.nan_to_num(diff, nan=np.inf))), a.shape))
    shape = "x".join(str(d) for d in a.shape)
    place = _where_2d(differ) if a.ndim == 2 else ""
    lines = [f"shape {tuple(a.shape)}: {n:,} of {a.size:,} entries differ{place}",
             f"the largest difference at {list(worst)}: got {_number(a[worst])}, expected {_number(e[worst])}",
             f"the first {'ones' if min(n, SUMMARY_SHOWN) > 1 else 'one'}:"]
    shown = [tuple(int(k) for k in i) for i in where[:SUMMARY_SHOWN]]
    # Columns as wide as their widest entry: narrow enough for a phone, aligned for the eye.
    index_width = max(len(str(list(at))) for at in shown)
    got_width = max(len(_number(a[at])) for at in shown)
    want_width = max(len(_number(e[at])) for at in shown)
    for at in shown:
        lines.append(f"  {str(list(at)):<{index_width}}  got {_number(a[at]):>{got_width}}  "
                     f"expected {_number(e[at]):>{want_width}}")
    if n > SUMMARY_SHOWN:
        lines.append(f"  ... and {n - SUMMARY_SHOWN:,} more of the {shape} entries")
    return "\n".join(lines)


def _span(indices: np.ndarray, total: int, noun: str) -> str:
    """"rows 0-15", "every column", "3 of 64 columns"."""
    if len(indices) == total:
        return f"every {noun}"
    if len(indices) == 1:
        return f"{noun} {int(indices[0])}"
    if int(indices[-1]) - int(indices[0]) + 1 == len(indices):
        return f"{noun}s {int(indices[0])}-{int(indices[-1])}"
    return f"{len(indices)} of {total} {noun}s"


def _where_2d(differ: np.ndarray) -> str:
    rows = np.flatnonzero(differ.any(axis=1))
    cols = np.flatnonzero(differ.any(axis=0))
    return f", in {_span(rows, differ.shape[0], 'row')} and {_span(cols, differ.shape[1], 'column')}"


def mismatch(diagnosis_id: str, hint: str, *, actual: object, expected: object,
             found: Diagnosis | None = None) -> CheckFailure:
    """The failure for a value that differs from the reference: a named signature if one
    explains it, else `diagnosis_id` with `hint`; the message shows both values (summarised
    when they are too big to read: see `array_summary`)."""
    summary = array_summary(actual, expected)
    if summary is not None:
        message = f"{(found.hint if found else hint)}\n" + "\n".join("  " + line for line in summary.split("\n"))
        return CheckFailure(found or diagnosis(diagnosis_id, hint), message=message)
    got, want = fmt(actual), fmt(expected)
    close = ""
    if got == want:
        # Printed alike, the message would contradict itself ("got 5.2394, expected
        # 5.2394"): show the digits where they part, by how much, and the usual causes.
        got, want, close = _distinguish(actual, expected)
        if found is None:
            hint = f"{hint} ({close})"
    # Continuation rows of a 2-D value line up under its first row, not under the label.
    got, want = (text.replace("\n", "\n" + " " * 12) for text in (got, want))
    message = f"{(found.hint if found else hint)}\n  got:      {got}\n  expected: {want}"
    if close and found is not None:
        message += f"\n  {close}"
    return CheckFailure(found or diagnosis(diagnosis_id, hint), message=message)


#: What makes a result differ from the exact value by less than 4 printed digits.
NEAR_MISS_CAUSES = ("an epsilon inside a log or a division (np.log(p + 1e-12)), float32 "
                    "arithmetic, or a clipped value (np.clip)")


def _distinguish(actual: object, expected: object) -> tuple[str, str, str]:
    """Both values printed with enough digits to differ, and a sentence naming the gap."""
    a = np.asarray(actual, dtype=np.float64) if _numeric(actual) else None
    e = np.asarray(expected, dtype=np.float64) if _numeric(expected) else None
    if a is None or e is None or a.shape != e.shape:
        return fmt(actual), fmt(expected), ""
    got, want = fmt(a, 4), fmt(e, 4)
    for digits in (6, 8, 10, 12, 14, 17):
        got, want = fmt(a, digits), fmt(e, digits)
        if got != want:
            break
    err = relative_error(a, e)
    return got, want, (f"they agree to the printed digits but differ by a relative error of "
                       f"{err:.2g}, more than the check allows; common causes: "
                       f"{NEAR_MISS_CAUSES}")


# -- inputs modified in place (seen by the worker: Sandbox.last_mutated) -----------------
def call_watched(remote, method: str, *args, what: str):
    """`remote.call(method, *args)`; raises input-mutation, naming the student's line, if the call
    changed one of its argument arrays in place (one mechanism for every profile: the worker
    compares the arguments before and after each call, see grader.checks.mutation)."""
    from grader.checks.mutation import expect_unmodified

    result = remote.call(method, *args)
    expect_unmodified(remote._sandbox, what=what)
    return result


class Guarded:
    """A RemoteObject whose calls turn the student's shape errors into shape-mismatch
    (see `shape_errors`); everything else is passed through."""

    def __init__(self, remote, what: str, hint: str = "") -> None:
        self._remote, self._what, self._hint = remote, what, hint

    def call(self, method: str, *args, **kwargs):
        with shape_errors(f"{self._what}.{method}", self._hint):
            return self._remote.call(method, *args, **kwargs)

    @property
    def remote(self):
        """The RemoteObject itself (a Plan's steps are made on it)."""
        return self._remote

    def call_each(self, method: str, arguments, **kwargs):
        with shape_errors(f"{self._what}.{method}", self._hint):
            return self._remote.call_each(method, arguments, **kwargs)

    def calls_then_reads(self, calls: list[tuple[str, tuple]], reads: tuple[str, ...] = ()) -> tuple[list, list]:
        """([call(method, *args) for each call], [get(name) for each read]) in one round trip
        (a Plan), each failure raised as the calls one by one would raise it."""
        plan = self._remote.plan()
        made = [plan.method(self._remote, method, *args) for method, args in calls]
        got = [plan.get(self._remote, name) for name in reads]
        plan.run(lazy=True)
        values = []
        for step, (method, _) in zip(made, calls):
            with shape_errors(f"{self._what}.{method}", self._hint):
                values.append(step.value)
        return values, [step.value for step in got]

    def __getattr__(self, name: str):
        return getattr(self._remote, name)


def forward_is_the_problem(got: object, reference_grad: object, *, what: str) -> Diagnosis | None:
    """In a numerical-gradient check: the backward equals the contract's gradient, so the
    disagreement with the student's own forward means the *forward* is wrong."""
    if matches(got, reference_grad, rtol=1e-8):
        return diagnosis("wrong-forward", f"{what}.backward is the contract's gradient, but your "
                         f"{what}.forward is not the function it differentiates: fix the forward "
                         "(see the forward check)")
    return None


# -- blame the producer: a shape error raised where a wrong array was consumed ---------------
def gradient_shape_problem(layers: Iterable[tuple[str, str, str, object, object]]) -> str:
    """The first gradient whose shape is not its parameter's, as a sentence, or "".

    `layers`: (layer label "Linear 1 of 2", gradient name "db", parameter name "b", the
    gradient, the parameter) as read from the student's objects; a gradient never set
    (None) is not judged. The contract in every profile: a gradient has its parameter's shape.
    """
    for label, grad_name, param_name, grad, param in layers:
        if grad is None or param is None or not _numeric(grad) or not _numeric(param):
            continue
        got, want = np.shape(grad), np.shape(param)
        if got == want:
            continue
        why = ""
        if len(got) == 2 and got == want[::-1]:
            why = ": it is the transpose (swap the product's operands or transpose it)"
        elif len(got) == len(want) + 1 and got[1:] == want:
            why = ": it keeps the batch axis (sum it over the batch, axis 0)"
        elif len(got) == len(want) and len(got) == 2 and got[1] == want[0] and want[1] == 1:
            why = ": it keeps the batch axis (sum it over the batch)"
        return (f"{label}'s {grad_name} has shape {got}; the contract is {want}, the shape of "
                f"{param_name}{why}")
    return ""


def is_shape_error(exc: BaseException) -> bool:
    """The student's code raised NumPy's shape error (broadcasting, matmul)."""
    from grader.sandbox import StudentException

    return (isinstance(exc, StudentException) and exc.exc_type == "ValueError"
            and any(m in exc.message for m in (*shape_errors.MARKERS, "broadcast")))


def blame_producer(exc: BaseException, problem: str, producer: str):
    """`exc` (a shape error raised by the function that consumed a wrong array) retold so it
    names the producer first: "Linear 1 of 2's db has shape (64, 64); the contract is (64,), ...
    Fix Linear.backward; the error came later, where the gradient was used: network.train()
    raised ValueError: ...".
    The student's frames stay those of `exc` (where it tripped). None if `problem` is empty."""
    from grader.sandbox import StudentException

    if not problem or not isinstance(exc, StudentException):
        return None
    tripped = exc.message.rstrip(". ")
    return StudentException(
        f"{problem}. Fix {producer}; the error came later, where the gradient was used: {tripped}.",
        exc_type=exc.exc_type, traceback=exc.traceback, diagnosis="shape-mismatch",
        output=exc.output, frames=exc.frames)


def blame_gradients(exc: BaseException, layers: list, pairs: tuple[tuple[str, str], ...],
                    producer: str = "Linear.backward"):
    """After a shape error `exc` raised downstream (the optimizer, the training loop): read the
    gradients `pairs` ((gradient, parameter) attribute names) of the student's Linear `layers`
    (RemoteObjects) and, if one has the wrong shape, `exc` retold to blame `producer`; else None."""
    from grader.sandbox import StudentFailure

    if not is_shape_error(exc):
        return None
    try:
        flows = [(f"Linear {i} of {len(layers)}", grad, param,
                  layer.get(grad) if layer.has(grad) else None, layer.get(param))
                 for i, layer in enumerate(layers, 1) for grad, param in pairs]
    except StudentFailure:
        return None
    return blame_producer(exc, gradient_shape_problem(flows), producer)
