"""Measured check costs balance the two check sessions (grader.checks.costs): the nearest
measured budget is used, a training check scales with images x epochs, an unmeasured check
weighs the median, and a missing or broken costs.json falls back to counting checks."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from grading_helpers import collect_checks

from grader.checks import costs, shards
from grader.checks.items import check_name
from grader.profiles import PROFILE_NAMES, get_profile


def fake_item(module: str, param: str | None = None) -> Any:
    return SimpleNamespace(path=Path(module),
                           callspec=SimpleNamespace(id=param) if param is not None else None)


def write_costs(folder: Path, *budgets: tuple[int, int, int, dict[str, float]]) -> Path:
    (folder / costs.COSTS_FILE).write_text(json.dumps({"budgets": [
        {"hypothesis_max_examples": m, "n_train": n, "epochs": e, "seconds": s} for m, n, e, s in budgets]}))
    return folder


def test_the_nearest_measured_budget_is_used(tmp_path: Path) -> None:
    measured = costs.load_costs(write_costs(tmp_path, (15, 1000, 3, {"a": 1.0}), (30, 4000, 8, {"a": 2.0})))
    assert [m.budget for m in measured] == [costs.Budget(15, 3000.0), costs.Budget(30, 32000.0)]
    assert costs.nearest(measured, costs.Budget(15, 3000.0)).seconds["a"] == 1.0
    assert costs.nearest(measured, costs.Budget(40, 40000.0)).seconds["a"] == 2.0
    assert costs.nearest((), costs.Budget(15, 3000.0)) is None


def test_a_training_check_scales_with_the_run_and_an_unknown_check_weighs_the_median(tmp_path: Path) -> None:
    measured = costs.load_costs(write_costs(tmp_path, (15, 1000, 3, {"lin": 0.01, "relu": 0.03, "fit": 0.5})))
    weights = costs.check_weights(["lin", "fit", "new"], ["linear", "training", "relu"],
                                  costs.Budget(15, 6000.0), measured)
    assert weights == [0.01, 1.0, 0.03]  # fit: 0.5 s x (6,000 / 3,000); new: the median of 0.01, 0.03, 0.5


def test_a_missing_or_broken_file_measures_nothing(tmp_path: Path) -> None:
    assert costs.load_costs(tmp_path) == ()
    (tmp_path / costs.COSTS_FILE).write_text('{"budgets": [{"seconds": {}}]}')
    assert costs.load_costs(tmp_path) == ()
    (tmp_path / costs.COSTS_FILE).write_text("not json")
    assert costs.load_costs(tmp_path) == ()
    assert costs.check_weights(["a"], ["linear"], costs.Budget(15, 3000.0), ()) is None


def test_measured_weights_put_one_costly_group_alone() -> None:
    items = [fake_item("test_training.py")] + [fake_item(f"test_{i}.py") for i in range(6)]
    tags = ["training"] + ["linear"] * 6
    by_count = shards.shard_of(items, tags, training_weight=0.0)
    assert sorted([by_count.count(0), by_count.count(1)]) == [3, 4]
    weighted = shards.shard_of(items, tags, training_weight=0.0, weights=[0.6] + [0.1] * 6)
    training_half = weighted[0]
    assert weighted.count(training_half) == 1  # 0.6 s alone against 6 x 0.1 s
    assert weighted == shards.shard_of(items, tags, training_weight=0.0, weights=[0.6] + [0.1] * 6)


MEASURED = [name for name in PROFILE_NAMES if (get_profile(name).checks_dir / costs.COSTS_FILE).is_file()]


def test_the_course_profiles_ship_their_measured_costs() -> None:
    # Where splitting by cost was measured to help (the default profile's run was slower).
    assert {"mytorch-hw1p1", "cs231n-fc"} <= set(MEASURED)


@pytest.mark.parametrize("profile_name", MEASURED)
def test_a_profiles_costs_name_exactly_its_checks(profile_name: str) -> None:
    """A check added or renamed since bench/check_costs.py last ran would weigh a guess:
    rerun `python bench/check_costs.py --write` after changing a profile's checks."""
    measured = costs.load_costs(get_profile(profile_name).checks_dir)
    assert measured, f"{profile_name}: its checks/costs.json cannot be read"
    named = set().union(*(m.seconds for m in measured))
    collected = {check_name(item) for item in collect_checks(profile_name)}
    assert named == collected, {"not measured": sorted(collected - named), "gone": sorted(named - collected)}
