"""The cs231n-fc profile's acceptance test: the correct CS231n solution gets full marks, every
buggy variant loses points on its component with its diagnosis, every correct variant
(including other years' conventions) gets full marks, and broken layouts cost only what they
break. Submissions come from tests/profiles/cs231n/cs231n_catalog.py, graded in two
subprocesses, each mutant on its own component only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from grading_helpers import (assert_caught, assert_full_marks, assert_matches_golden, assert_reported_without_points,
                             describe, grade_in_subprocesses, job)

sys.path.insert(0, str(Path(__file__).resolve().parent / "cs231n"))

import cs231n_catalog as catalog  # noqa: E402

RUBRIC = "cs231n-fc"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("cs231n")
    jobs = [job("solution", catalog.materialize(root / "solution"), rubric=RUBRIC, cost=10)]
    for mutant in catalog.MUTANTS:
        path = catalog.materialize(root / mutant.name, mutant.edits)
        jobs.append(job(mutant.name, path, rubric=RUBRIC, include_tags=[mutant.tag],
                        cost=4 if mutant.tag == "training" else 1))
    for variant in catalog.VARIANTS:
        path = catalog.materialize(root / f"ok-{variant.name}", variant.edits)
        jobs.append(job(f"ok-{variant.name}", path, rubric=RUBRIC, include_tags=list(variant.tags),
                        cost=len(variant.tags)))
    for name, edits, removed in catalog.BROKEN:
        path = catalog.materialize(root / f"broken-{name}", edits, removed)
        jobs.append(job(f"broken-{name}", path, rubric=RUBRIC, include_tags=catalog.COMPONENTS, cost=4))
    jobs.append(job("stub", catalog.STUB, rubric=RUBRIC, cost=4))
    return grade_in_subprocesses(jobs, root, processes=2)


def test_solution_gets_full_marks(graded):
    result = graded["solution"]
    assert {c["tags"][0] for c in result["checks"]} >= {*catalog.COMPONENTS, "training"}, describe(result)
    assert_full_marks(result)
    figures = result["artifacts"]
    assert figures["test_accuracy"] >= figures["accuracy_threshold"] > 0.5


def test_the_handouts_stub_gets_the_first_run_report(graded):
    result = graded["stub"]
    assert not result["error"] and all(c["status"] != "error" for c in result["checks"]), describe(result)
    assert result["score"] < 0.1 * result["max_score"], describe(result)
    first = result["artifacts"]["first_run"]
    assert first["form"] == "handout" and first["steps"][0]["todo"][0] == "affine_forward", first
    # An empty grads is said as such, not as the grader's KeyError.
    training = [c for c in result["checks"] if c["tags"][0] == "training"]
    assert training and all("grads has no 'W1'" in c["message"] for c in training), describe(result)


@pytest.mark.parametrize("mutant", catalog.MUTANTS, ids=[m.name for m in catalog.MUTANTS])
def test_mutant_is_caught(graded, mutant):
    if mutant.name in catalog.BEYOND_COURSE:
        assert_reported_without_points(graded[mutant.name], tag=mutant.tag,
                                       diagnosis=mutant.diagnosis, bug=mutant.bug)
    else:
        assert_caught(graded[mutant.name], tag=mutant.tag, diagnosis=mutant.diagnosis, bug=mutant.bug)


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=[v.name for v in catalog.VARIANTS])
def test_correct_variant_gets_full_marks(graded, variant):
    assert_full_marks(graded[f"ok-{variant.name}"], variant.style)


def _by_component(result: dict) -> dict[str, set[str]]:
    """Statuses per component, leaving out the input-mutation checks: they call only the
    forward, which a broken backward does not break."""
    out: dict[str, set[str]] = {}
    for c in result["checks"]:
        if "keeps_input" in c["name"]:
            continue
        out.setdefault(c["tags"][0], set()).add(c["status"])
    return out


@pytest.mark.parametrize("name", [b[0] for b in catalog.BROKEN])
def test_broken_layout_costs_only_what_it_breaks(graded, name):
    result = graded[f"broken-{name}"]
    assert not result["error"] and result["checks"], describe(result)
    statuses = _by_component(result)
    broken = {"fc-net-fails-import": ["two-layer-net", "fc-net"], "no-optim": ["update-rules"],
              "renamed-relu-backward": ["relu"]}[name]
    for component in catalog.COMPONENTS:
        if component in broken:
            assert "passed" not in statuses[component], describe(result)
        elif name != "renamed-relu-backward" or component not in ("two-layer-net", "fc-net"):
            # layer_utils' affine_relu_backward calls relu_backward: the nets break with it.
            assert statuses[component] <= {"passed", "skipped"}, (component, describe(result))
    ids = {d["id"] for c in result["checks"] for d in c["diagnoses"]}
    assert ids & {"import-error", "missing-api"}, describe(result)


def test_catalog_is_large_enough():
    assert len(catalog.MUTANTS) >= 30 and len(catalog.VARIANTS) >= 8
    assert len({m.name for m in catalog.MUTANTS}) == len(catalog.MUTANTS)
    assert {m.tag for m in catalog.MUTANTS} >= {*catalog.COMPONENTS, "training"}


def test_every_submission_is_caught_as_recorded(graded):
    """Same (component, diagnosis) pairs per mutant as tests/golden/cs231n.json, and nothing
    failing for the correct ones: what a speed-up of the grader must never change."""
    # The handout's stub is no mutant: its own test above asserts the first-run report.
    assert_matches_golden("cs231n", graded, sorted(name for name in graded if name != "stub"))
