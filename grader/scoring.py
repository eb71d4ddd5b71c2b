"""Points and visibility of each check, from the rubric.

A component's points (rubric `[components.<tag>]`) are split evenly over the
selected checks whose first tag is that component; `[checks."<name>"]` overrides
a single check. A failed check keeps `credit` x its points (partial credit).
"""

from __future__ import annotations

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
    points: dict[str, float] = {}
    for name, component in names_and_components:
        if name in overridden:
            points[name] = float(rubric.checks[name].points)  # type: ignore[arg-type]
        elif component in budget and shares[component]:
            points[name] = budget[component] / shares[component]
        else:
            points[name] = 0.0
    return points


def apply_score(check: CheckResult, credit: float) -> None:
    """Score a finished check: full points when passed, `credit` x points otherwise."""
    fraction = 1.0 if check.status == "passed" else min(max(credit, 0.0), 1.0)
    check.score = round(check.max_score * fraction, 6)
