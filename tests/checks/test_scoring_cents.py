"""Per-check points add up exactly to each component's points and the rubric's total.

Points are whole cents split by largest remainder (grader/scoring.py); an even
float split used to make results.json's max_score values add up to 100.0001.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings, strategies as st

from grader.rubric import load_rubric, loads_rubric
from grader.scoring import apply_score, max_points, split_cents, to_cents
from grader.results import CheckResult


def _cents(value: float) -> int:
    cents = round(value * 100)
    assert abs(value * 100 - cents) < 1e-6, f"{value} is not a whole number of cents"
    return cents


@settings(max_examples=200, deadline=None, database=None)
@given(total=st.integers(0, 100_000), count=st.integers(1, 97))
def test_split_cents_is_exact_and_near_equal(total, count):
    parts = split_cents(total, count)
    assert sum(parts) == total and len(parts) == count
    assert max(parts) - min(parts) <= 1


@settings(max_examples=100, deadline=None, database=None)
@given(components=st.dictionaries(
    st.sampled_from(["linear", "relu", "softmax", "mlp", "training", "sgd"]),
    st.tuples(st.integers(0, 10_000), st.integers(1, 40)),  # (cents, number of checks)
    min_size=1))
def test_every_rubric_sums_exactly(components):
    toml = "\n".join(f"[components.{tag}]\npoints = {cents / 100!r}\n"
                     for tag, (cents, _) in components.items())
    rubric = loads_rubric(toml)
    checks = [(f"test_{tag}.py::test_{i}", tag) for tag, (_, n) in components.items() for i in range(n)]
    points = max_points(checks, rubric)
    per_component: dict[str, int] = defaultdict(int)
    for name, tag in checks:
        per_component[tag] += _cents(points[name])
    assert per_component == {tag: cents for tag, (cents, _) in components.items()}
    assert sum(per_component.values()) == to_cents(rubric.total_points)


def test_default_rubric_three_checks_of_a_hundred():
    rubric = loads_rubric("[components.linear]\npoints = 100\n")
    points = max_points([(f"c{i}", "linear") for i in range(3)], rubric)
    assert sorted(points.values()) == [33.33, 33.33, 33.34]
    assert round(sum(points.values()), 9) == 100


def test_default_rubric_as_shipped_sums_to_its_total():
    rubric = load_rubric(None)
    # 7 checks per component: shares that are not whole cents for most budgets.
    checks = [(f"{tag}-{i}", tag) for tag in rubric.components for i in range(7)]
    points = max_points(checks, rubric)
    assert sum(_cents(p) for p in points.values()) == to_cents(rubric.total_points)


def test_partial_credit_is_whole_cents():
    check = CheckResult(name="x", max_score=33.33, tags=["linear"])
    check.status = "failed"
    apply_score(check, 1 / 3)
    assert check.score == 11.11
