"""Comparison helpers the MyTorch checks share: compare a student's value with the reference
and raise the CheckFailure that names the bug (signatures tried most specific first)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.results import Diagnosis

Signature = Callable[[], "Diagnosis | None"]


def expect_close(actual: object, expected: np.ndarray, *, what: str, formula: str,
                 diagnosis_id: str = "wrong-gradient", n: int | None = None,
                 signatures: tuple[Signature, ...] = (), rtol: float = G.REFERENCE_RTOL,
                 expected_from: str = "the definition", atol: float = G.ATOL) -> np.ndarray:
    """`actual` must have `expected`'s shape and dtype float64 and equal it to `rtol`.

    `atol` floors the scale of the comparison (numerical gradients of a near-zero function).
    On a mismatch: `signatures` first, then non-finite values, float32 precision and a
    constant factor (N, 1/N, 2, -1), else `diagnosis_id` with the formula.
    """
    arr = D.require_array(actual, expected.shape, what=what)
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


def expect_unchanged(first: object, second: object, *, what: str, call: str) -> None:
    """A second identical call must return the same value (nothing cached was edited in place)."""
    if not G.close(np.asarray(second, dtype=np.float64), np.asarray(first, dtype=np.float64)):
        raise D.mismatch("input-mutation", "", actual=second, expected=first,
                         found=D.repeat_mismatch(first, second, what=what, call=call))


def expect_overwritten(first: object, second: object, *, what: str, call: str) -> None:
    """A gradient attribute after a second identical backward equals the first (no +=)."""
    if not G.close(np.asarray(second, dtype=np.float64), np.asarray(first, dtype=np.float64)):
        raise D.mismatch("stale-gradient", "", actual=second, expected=first, found=D.first(
            lambda: D.stale_gradient_signature(first, second, what=what),
            lambda: D.repeat_mismatch(first, second, what=what, call=call)))
