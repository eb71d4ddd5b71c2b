"""Compare a student's array with the expected one, and raise the CheckFailure that names
the bug: the comparison every profile's value checks share (a profile with a looser course
precision reads the array its own way first, then calls `expect_array_close`)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.results import Diagnosis

#: A signature tried before the generic ones: returns the Diagnosis naming the bug, or None.
Signature = Callable[[], "Diagnosis | None"]


def expect_close(actual: object, expected: np.ndarray, *, what: str, formula: str,
                 diagnosis_id: str = "wrong-gradient", n: int | None = None,
                 signatures: tuple[Signature, ...] = (), rtol: float = G.REFERENCE_RTOL,
                 expected_from: str = "the definition", atol: float = G.ATOL) -> np.ndarray:
    """`actual` must have `expected`'s shape, a float dtype, and equal it to `rtol`; returns it
    as float64. `atol` floors the scale of the comparison (numerical gradients of a near-zero
    function). On a mismatch: see `expect_array_close`."""
    arr = D.require_array(actual, expected.shape, what=what)
    return expect_array_close(arr, expected, what=what, formula=formula, diagnosis_id=diagnosis_id,
                              n=n, signatures=signatures, rtol=rtol, expected_from=expected_from,
                              atol=atol)


def expect_array_close(arr: np.ndarray, expected: np.ndarray, *, what: str, formula: str,
                       diagnosis_id: str = "wrong-gradient", n: int | None = None,
                       signatures: tuple[Signature, ...] = (), rtol: float = G.REFERENCE_RTOL,
                       expected_from: str = "the definition", atol: float = G.ATOL) -> np.ndarray:
    """`arr` (already read as float64 of `expected`'s shape) equals `expected` to `rtol`, else a
    CheckFailure: `signatures` first, then non-finite values, float32 precision and a constant
    factor (N, 1/N, 2, -1), else `diagnosis_id` with the formula."""
    if G.relative_error(arr, expected, atol=atol) <= rtol:
        return arr
    found = D.first(
        *signatures,
        lambda: D.finite_signature(arr, what=what, diagnosis_id=diagnosis_id),
        lambda: D.precision_signature(arr, expected, what=what),
        lambda: D.scale_signature(arr, expected, what=what, n=n) if diagnosis_id != "wrong-forward"
        else None,
    )
    raise D.mismatch(diagnosis_id, f"{what} differs from {expected_from}: {formula}", actual=arr,
                     expected=expected, found=found)
