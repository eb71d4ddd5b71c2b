"""Points and visibility of each check, from the rubric.

A component's points (rubric `[components.<tag>]`) are split evenly over the
selected checks whose first tag is that component; `[checks."<name>"]` overrides
a single check. A failed check keeps `credit` x its points (partial credit).

Every amount is a whole number of cents (2 decimals): a component's points are
split by largest-remainder rounding, so its checks' points add up to exactly
the component's points, and the rubric's total to exactly its total, in every
report (an even split of 100 over 3 checks is 33.34 + 33.33 + 33.33, never
33.333333 x 3 = 99.999999 printed as 100.0001 elsewhere).
"""

from __future__ import annotations

import math
from collections import Counter

from grader.results import CheckResult
from grader.rubric import Rubric


def visibility_of(name: str, component: str, rubric: Rubric) -> str:
    rule = rubric.checks.get(name)
    if rule is not None and rule.visibility:
        return rule.visibility
    component_rule = rubric.components.get(component)
    return component_rule.visibility if component_rule is not None else "visible"


def max_points(names_and_components: list[tuple[str, str]], rubric: Rubric) -> dict[str, float]:
    """Points each check is worth; checks of a component the rubric does not price are worth 0."""
    overridden = {name for name, _ in names_and_components
                  if name in rubric.checks and rubric.checks[name].points is not None}
    # An override is priced on its own, outside its component's budget.
    budget: dict[str, float] = {tag: rule.points for tag, rule in rubric.components.items()}
    shares = Counter(component for name, component in names_and_components if name not in overridden)
    # Each component's cents, handed out in check order so the split is deterministic.
    pending = {tag: split_cents(to_cents(budget[tag]), count)
               for tag, count in shares.items() if tag in budget}
    points: dict[str, float] = {}
    for name, component in names_and_components:
        if name in overridden:
            points[name] = to_cents(rubric.checks[name].points) / 100  # type: ignore[arg-type]
        elif component in pending:
            points[name] = pending[component].pop(0) / 100
        else:
            points[name] = 0.0
    return points


def to_cents(value: float) -> int:
    """An amount of points as whole cents (half-way cases to even, as round() does)."""
    return int(round(float(value) * 100))


def cents_text(value: float) -> str:
    """Points for people: always 2 decimals (`76.10`, `100.00`), the rubric's own unit.

    One precision in every human-readable line, so the report, the CLI's
    summary and `grader check` never print one score two ways (73.64 vs
    73.641). NaN or inf (a broken score) prints as 0.00, as reports count it.
    """
    x = float(value) if isinstance(value, (int, float)) else 0.0
    return f"{to_cents(x) / 100 if math.isfinite(x) else 0.0:.2f}"


def split_cents(total: int, count: int) -> list[int]:
    """`total` cents in `count` near-equal whole parts that add up to `total` exactly.

    Largest remainder: every part gets the floor of the even share, and the
    leftover cents go one each to the first parts (all remainders are equal
    for an even split, so "largest" reduces to "first", which keeps the order
    stable across runs).
    """
    if count <= 0:
        return []
    base, leftover = divmod(total, count)
    return [base + 1 if i < leftover else base for i in range(count)]


def apply_score(check: CheckResult, credit: float) -> None:
    """Score a finished check: full points when passed, `credit` x points otherwise."""
    fraction = 1.0 if check.status == "passed" else min(max(credit, 0.0), 1.0)
    # Cents as well: the printed per-check scores then add up to the printed total.
    check.score = to_cents(check.max_score * fraction) / 100
