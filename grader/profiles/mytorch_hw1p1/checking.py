"""Comparison helpers the MyTorch checks share: compare a student's value with the reference
and raise the CheckFailure that names the bug (signatures tried most specific first).

What the course's autograder accepts is accepted here (docs/courses/mytorch-hw1p1.md): every
build compares `np.allclose(x.round(4), solution, atol=1e-4)` on float32 inputs, so float32
arrays pass (judged at float32's precision), and a loss may be a float, a NumPy scalar or a
0-d array."""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks.expect import expect_array_close
from grader.results import Diagnosis

#: The relative error a float32 result may carry: the course compares to 4 decimals on
#: float32 inputs, so float32 arithmetic (~1e-7, more after sums) is never a finding.
FLOAT32_RTOL = 1e-5
#: The scale below which a float32 result is judged in absolute terms (errors of FLOAT32_RTOL
#: x 1e-2 = 1e-7): a Softmax Jacobian product of ~1e-3 cancels digits float32 does not have.
FLOAT32_SCALE = 1e-2
#: The absolute floor of a comparison with central differences: their own round-off is
#: ~1e-10 to 1e-9 of the function's size, so a floor of 1e-10 failed correct float64 code
#: wherever the true gradient is ~0.
NUMERIC_ATOL = 1e-7


#: The Hypothesis shapes of the checks the course's tests back: its inputs are (4, 2)-like
#: batches, never a size-1 axis (squeezing a (1, C) result passes it). A batch of one sample
#: is a beyond-course check of its own.
COURSE_SHAPES = {"min_batch": 2, "min_features": 2}
ONE_SAMPLE = ("the course's autograder never passes a batch of one sample or one feature (its "
              "inputs are (4, 2)-like)")


def course_array(actual: object, shape: tuple[int, ...], *, what: str,
                 extra: Callable[[], "Diagnosis | None"] | None = None) -> tuple[np.ndarray, bool]:
    """(`actual` as float64 of `shape`, whether it came as float32): the course accepts float32
    arrays (its own inputs are float32) and extra leading axes of size 1; anything else wrong
    (None, shape, ints) is a finding."""
    arr = np.asarray(actual) if actual is not None and D._numeric(actual) else None
    if arr is not None and arr.ndim > len(shape) and arr.shape[arr.ndim - len(shape):] == tuple(shape) \
            and all(n == 1 for n in arr.shape[:arr.ndim - len(shape)]):
        # Extra leading axes of size 1 ([x] around an array): the course's np.allclose
        # broadcasts them away, and so does NumPy in the layers that follow.
        actual = arr = arr.reshape(shape)
    if arr is not None and arr.dtype == np.float32 and tuple(arr.shape) == tuple(shape):
        return arr.astype(np.float64), True
    return D.require_array(actual, shape, what=what, extra=extra), False


def within_course_precision(actual: tuple[object, ...], expected: tuple[np.ndarray, ...]) -> bool:
    """Whether every value (forward and gradients) equals the definition to FLOAT32_RTOL: a
    numerical-gradient check that failed on such code measured float32 round-off, not a bug."""
    return all(D.matches(a, e, rtol=FLOAT32_RTOL) for a, e in zip(actual, expected))


def course_scalar(actual: object, *, what: str) -> float:
    """A loss as the course reads it: a float, NumPy scalar or 0-d / 1-element array, float32 or
    float64 (its check rounds to 4 decimals). Anything with more elements is a finding."""
    arr = np.asarray(actual) if actual is not None and D._numeric(actual) else None
    if arr is not None and arr.size == 1 and arr.dtype.kind == "f":
        return float(arr.reshape(-1)[0])
    return D.require_scalar(actual, what=what)


def expect_course_close(actual: object, expected: np.ndarray, *, what: str,
                        rtol: float = G.REFERENCE_RTOL, atol: float = G.ATOL, **kwargs) -> np.ndarray:
    """grader.checks.expect.expect_close as the MyTorch course judges: float32 arrays and extra
    leading size-1 axes are accepted, and `rtol` is never tighter than float32's precision
    (FLOAT32_RTOL): its own inputs are float32 and it compares to 4 decimals, whether the
    array came back float32 or was cast back to float64."""
    arr, single = course_array(actual, expected.shape, what=what)
    rtol = max(rtol, FLOAT32_RTOL)
    if single:
        # Float32 values below ~1e-2 carry round-off of ~1e-7 absolute (the course allows
        # 1e-4 absolute): judged against that scale, not their own.
        atol = max(atol, FLOAT32_SCALE)
    return expect_array_close(arr, expected, what=what, rtol=rtol, atol=atol, **kwargs)


def expect_unchanged(first: object, second: object, *, what: str, call: str) -> None:
    """A second identical call must return the same value (nothing cached was edited in place)."""
    for value in (first, second):
        D.require_numeric(value, what=f"{call}'s {what}")
    if not G.close(np.asarray(second, dtype=np.float64), np.asarray(first, dtype=np.float64)):
        raise D.mismatch("input-mutation", "", actual=second, expected=first,
                         found=D.repeat_mismatch(first, second, what=what, call=call))


def expect_overwritten(first: object, second: object, *, what: str, call: str) -> None:
    """A gradient attribute after a second identical backward equals the first (no +=)."""
    for value in (first, second):
        D.require_numeric(value, what=f"{call}'s {what}")
    if not G.close(np.asarray(second, dtype=np.float64), np.asarray(first, dtype=np.float64)):
        raise D.mismatch("stale-gradient", "", actual=second, expected=first, found=D.first(
            lambda: D.stale_gradient_signature(first, second, what=what),
            lambda: D.repeat_mismatch(first, second, what=what, call=call)))
