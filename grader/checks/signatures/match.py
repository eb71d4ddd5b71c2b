"""How a signature compares: `matches` (to MATCH_RTOL), `first` (the first signature that
names the bug), `fmt` (an array as a message prints it).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.checks.gradcheck import relative_error
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
