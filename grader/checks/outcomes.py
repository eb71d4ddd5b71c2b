"""What a failed check's exception tells a report: the smallest failing example, the
student's own frames, and a student value NumPy could not read."""

from __future__ import annotations

import pytest

from grader.results import Diagnosis, Frame
from grader.sandbox import StudentFailure
from grader.sandbox.errors import CallBlocked


def falsifying_example(exc: BaseException, item: pytest.Item) -> str:
    """The smallest failing input Hypothesis found, for a check that is a Hypothesis test.

    Hypothesis attaches it to the exception as PEP 678 notes (`__notes__`, a Python API),
    with the test's arguments and each `data.draw`. Their wording is Hypothesis's own and
    changed ("Falsifying example:" up to 6.15x, "Failing test case:" since), so no wording
    is matched: every note but the advice on reproducing the failure is the example.
    """
    # `test.hypothesis` is Hypothesis's documented handle on a @given test (inner_test).
    if getattr(getattr(item, "obj", None), "hypothesis", None) is None:
        return ""
    notes = [n for n in getattr(exc, "__notes__", None) or [] if isinstance(n, str)]
    return "\n".join(n for n in notes if not n.lstrip().startswith(_REPRODUCE_ADVICE)).strip()


# Notes Hypothesis adds that tell a developer how to replay the failure, not what failed.
_REPRODUCE_ADVICE = ("You can reproduce", "You can add @seed", "@reproduce_failure")


# What NumPy says when it cannot read a value as a numeric array: the student's code
# returned a ragged list, a string, a dict... where the contract wants an ndarray.
_UNREADABLE_VALUE = ("setting an array element with a sequence", "inhomogeneous",
                     "could not convert", "float() argument must be", "invalid literal for")


def student_frames(exc: BaseException) -> list[Frame]:
    """The student's own frames behind a failed check: those of the StudentException it
    raised, or that a check caught and turned into a CheckFailure (its cause or context),
    or that first blocked a function (CallBlocked)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CallBlocked):
            current = current.first
            continue
        frames = getattr(current, "frames", None)
        if isinstance(current, StudentFailure) and frames:
            return [Frame(*frame) for frame in frames]
        current = current.__cause__ or current.__context__
    return []


def unreadable_student_value(exc: BaseException) -> Diagnosis | None:
    """The diagnosis for a check that failed reading a malformed student value, else None."""
    if not isinstance(exc, (ValueError, TypeError)):
        return None
    text = str(exc)
    if not any(pattern in text for pattern in _UNREADABLE_VALUE):
        return None
    return Diagnosis("shape-mismatch", "your code returned a value that is not a numeric array "
                     f"({text.splitlines()[0][:120]}); return a float64 NumPy array of the "
                     "contract's shape, not a list, string or None")
