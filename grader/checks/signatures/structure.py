"""Signatures of structure: a wrong shape (a transpose, a lost batch axis), dtype, inf/NaN,
float32 precision.
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.gradcheck import REFERENCE_RTOL, relative_error
from grader.results import Diagnosis


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
