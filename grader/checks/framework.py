"""What a check module needs: the failure it raises, its component tag, the vocabulary.

A check names the bug it found: it raises `CheckFailure` with one or more
`Diagnosis`es whose ids come from docs/diagnoses.md (`DIAGNOSIS_IDS`), each with
one sentence the student can act on. The plugin turns it into a `CheckResult`.
"""

from __future__ import annotations

from typing import Any, NoReturn

from grader.results import Diagnosis
from grader.vocabulary import DIAGNOSIS_IDS, TAGS  # noqa: F401  (re-exported for checks)

#: The markers a check module puts on its checks, by name (each `pytest.mark.<name>`; see
#: `__getattr__`):
#: - `@tags("linear")` on a check, or `pytest.param(..., marks=tags("relu"))`; the first
#:   tag is the component the check's points belong to.
#: - `@title("Linear: backward matches numerical gradients")` on a check: the short human
#:   title reports show instead of the pytest id. `{kind}`-style fields are filled from
#:   the check's parameters (`pytest.param(..., marks=title(...))` beats the function's);
#:   a keyword maps a parameter's values to the words a student reads, keeping pytest ids
#:   (rubrics key on them) unchanged: `@title("{kind}: forward ...", kind={"relu": "ReLU"})`.
#: - `@beyond_course("the course's autograder never tests |x| ~ 1e3")` on a check (or
#:   `pytest.param(..., marks=beyond_course(...))`): the check tests what the course's own
#:   tests do not. In a course profile (one with releases) it is run and reported (pass/fail,
#:   diagnosis, hint) in its own group, "Beyond the course's own tests", and costs no points
#:   unless the rubric gives it some (`[beyond_course] points = true`, or per check id
#:   `[checks."<id>"] points = ...`). In a profile without releases (default) it is scored as
#:   any other check. The reason is one clause a student reads.
#: - `@course_misses("the official autograder gives 100/100 to momentum that updates the bias
#:   velocity from dLdW")` on a *scored* check: when it fails, the report says in a sentence
#:   that the course's own tests miss this bug. `CheckFailure(..., course_misses="...")` says
#:   the same for one failure only (it wins over the marker).
MARKERS = ("tags", "title", "beyond_course", "course_misses")


def __getattr__(name: str) -> Any:
    """The markers, made when a check module first imports one. The profiles import this
    module for their failures and diagnoses before the sandbox workers are launched; pytest
    (~0.1 s) is imported after, while the workers start."""
    if name in MARKERS:
        import pytest

        marker = getattr(pytest.mark, name)
        globals()[name] = marker
        return marker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def diagnosis(diagnosis_id: str, hint: str) -> Diagnosis:
    """A Diagnosis whose id is checked against the catalog, so a typo fails loudly in our tests."""
    if diagnosis_id not in DIAGNOSIS_IDS:
        raise ValueError(f"unknown diagnosis id {diagnosis_id!r}; add it to docs/diagnoses.md first")
    return Diagnosis(diagnosis_id, hint)


class CheckFailure(AssertionError):
    """A check found a bug in the submission.

    `credit` is the fraction of the check's points still awarded (e.g. 0.5 for a
    correct but too slow implementation); `course_misses`, when set, is the sentence
    saying that the course's own tests do not catch this bug.
    """

    def __init__(self, *diagnoses: Diagnosis, message: str = "", example: str = "",
                 output: str = "", credit: float = 0.0, course_misses: str = "") -> None:
        if not diagnoses:
            raise ValueError("a CheckFailure names at least one diagnosis")
        self.diagnoses = list(diagnoses)
        self.message = message or diagnoses[0].hint
        self.example = example
        self.output = output
        self.credit = min(max(credit, 0.0), 1.0)
        self.course_misses = course_misses
        super().__init__(self.message)


class NotAssigned(Exception):
    """Raised by `not_assigned`: what this check tests is not part of the assignment graded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fail(diagnosis_id: str, hint: str, *, message: str = "", credit: float = 0.0,
         output: str = "", more: tuple[Diagnosis, ...] = (), course_misses: str = "") -> NoReturn:
    """Raise a CheckFailure with one diagnosis (plus `more`)."""
    raise CheckFailure(diagnosis(diagnosis_id, hint), *more, message=message,
                       credit=credit, output=output, course_misses=course_misses)


def not_assigned(reason: str) -> NoReturn:
    """End the check as "not-assigned" (no points either way, left out of the maximum):
    the release graded does not ask for what it tests, in a finer way than a whole
    component (`Release.assigned`). `reason` is one clause a student reads ("the 2017
    handout's Adam starts t at 1")."""
    raise NotAssigned(reason)
