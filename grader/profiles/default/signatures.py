"""Failure signatures only the default profile has: its softmax checks' large-logit cases.

Like the generic ones in grader/checks/diagnose.py (which every profile shares): small pure
functions on arrays that return a Diagnosis when the difference has their shape, else None.
Unit tests: tests/checks/test_diagnose.py.
"""

from __future__ import annotations

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import diagnosis
from grader.results import Diagnosis


def extreme_mismatch_signature(actual: object, expected: object, *, what: str) -> Diagnosis | None:
    """Finite but wrong for logits of magnitude ~1000 (while right for small ones): clipping the
    logits, or log of an underflowed probability plus an epsilon -> softmax-overflow."""
    found = D.overflow_signature(actual, what=what)
    if found is not None:
        return found
    if D.matches(actual, expected, rtol=1e-6):
        return None
    return diagnosis("softmax-overflow", f"{what} is wrong for logits of magnitude ~1000 although "
                     "right for small ones: do not clip the logits or add an epsilon inside the log; "
                     "subtract the row max and use log-softmax")


def softmax_forward_signature(logits: np.ndarray, actual: object) -> Diagnosis | None:
    return D.first(lambda: D.overflow_signature(actual, what="softmax"),
                   lambda: D.softmax_axis_signature(actual))
