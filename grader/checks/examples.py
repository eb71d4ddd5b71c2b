"""How many Hypothesis examples a check draws: its share of the rubric's budget.

A check whose examples are costly (numerical gradients, a network per example) draws a
share of the rubric's `hypothesis_max_examples`, never fewer than its own floor::

    @share(0.3)                 # 30% of the budget, at least 5 examples
    @given(case=linear_cases())
    def test_gradient_numerical(student, case): ...

The share is resolved when a session collects the check (grader.checks.session
.fit_settings), against the rubric being graded, not when the module is imported: a
process imports a check module once, and one that grades twice (a test, a Dask worker, a
host calling `grade()`) would otherwise run the second rubric's checks with the first
one's examples. The rubric's `hypothesis_min_examples` caps every floor: the self-check
draws at least 3 where a grade draws at least 5 (bench/bench_examples.py: every bug of the
default catalog is reported within some check's first 3 examples; under the self-check the
three profiles' catalogs are caught as they were with 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

Test = TypeVar("Test", bound=Callable[..., Any])

#: The attribute `share` leaves on a check's function.
SHARE_ATTRIBUTE = "_grader_example_share"


@dataclass(frozen=True)
class ExampleShare:
    """`fraction` of the rubric's examples per property, at least `at_least`."""

    fraction: float
    at_least: int

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise ValueError(f"an example share is a fraction in (0, 1], got {self.fraction!r}")
        if self.at_least < 1:
            raise ValueError(f"an example share's floor is at least 1 example, got {self.at_least!r}")

    def resolve(self, max_examples: int, min_examples: int) -> int:
        """The examples to draw under a rubric's budget and its floor cap."""
        return max(min(self.at_least, min_examples), int(max_examples * self.fraction))


def share(fraction: float = 1.0, *, at_least: int = 5) -> Callable[[Test], Test]:
    """Mark a Hypothesis check (put it right above `@given`) as drawing `fraction` of the
    rubric's examples, at least `at_least` (capped by the rubric's `hypothesis_min_examples`)."""
    portion = ExampleShare(fraction, at_least)

    def mark(test: Test) -> Test:
        setattr(test, SHARE_ATTRIBUTE, portion)
        return test

    return mark


def examples_for(test: Any, max_examples: int, min_examples: int) -> int:
    """The examples `test` (a check as @given returns it) draws under a rubric: its share,
    or the whole budget. A share written below @given marks the inner function."""
    inner = getattr(getattr(test, "hypothesis", None), "inner_test", None)
    portion = getattr(test, SHARE_ATTRIBUTE, None) or getattr(inner, SHARE_ATTRIBUTE, None)
    return portion.resolve(max_examples, min_examples) if isinstance(portion, ExampleShare) else max_examples
