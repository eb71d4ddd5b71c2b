"""The mytorch-hw1p1 profile's acceptance test: the correct MyTorch solution gets full marks
(training included), every buggy variant loses points on its component with its diagnosis,
every correct variant gets full marks, and broken layouts cost only what they break.

Submissions come from tests/profiles/mytorch/catalog.py and are graded in two subprocesses
(`grader.runner.grade` runs pytest in-process), each mutant on its own component only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from grading_helpers import (assert_caught, assert_full_marks, assert_matches_golden, assert_reported_without_points,
                             describe, grade_in_subprocesses, job)

sys.path.insert(0, str(Path(__file__).resolve().parent / "mytorch"))

import mytorch_catalog as catalog  # noqa: E402

RUBRIC = "mytorch-hw1p1"
COMPONENTS = ["linear", "activations", "losses", "sgd", "batchnorm", "mlp0", "mlp1", "mlp4"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mytorch")
    jobs = [job("solution", catalog.materialize(root / "solution"), rubric=RUBRIC, cost=12)]
    for mutant in catalog.MUTANTS:
        path = catalog.materialize(root / mutant.name, mutant.edits)
        jobs.append(job(mutant.name, path, rubric=RUBRIC, include_tags=[mutant.tag],
                        cost=4 if mutant.tag == "training" else 1))
    for variant in catalog.VARIANTS:
        path = catalog.materialize(root / f"ok-{variant.name}", variant.edits)
        jobs.append(job(f"ok-{variant.name}", path, rubric=RUBRIC, include_tags=variant.tags,
                        cost=len(variant.tags)))
    for name, edits, removed in catalog.BROKEN:
        path = catalog.materialize(root / f"broken-{name}", edits, removed)
        jobs.append(job(f"broken-{name}", path, rubric=RUBRIC, include_tags=COMPONENTS, cost=3))
    return grade_in_subprocesses(jobs, root, processes=2)


def test_solution_gets_full_marks(graded):
    result = graded["solution"]
    assert {c["tags"][0] for c in result["checks"]} >= set(COMPONENTS) | {"training"}, describe(result)
    assert_full_marks(result)
    # The MNIST run leaves its curve and accuracy for the report writers (html plots).
    curve, figures = result["artifacts"]["learning_curve"], result["artifacts"]
    assert len(curve["student"]) == len(curve["reference"]) > 0
    assert figures["test_accuracy"] >= figures["accuracy_threshold"] > 0.5


@pytest.mark.parametrize("mutant", catalog.MUTANTS, ids=[m.name for m in catalog.MUTANTS])
def test_mutant_is_caught(graded, mutant: catalog.Mutant):
    if mutant.name in catalog.BEYOND_COURSE:
        assert_reported_without_points(graded[mutant.name], tag=mutant.tag,
                                       diagnosis=mutant.diagnosis, bug=mutant.bug)
    else:
        assert_caught(graded[mutant.name], tag=mutant.tag, diagnosis=mutant.diagnosis, bug=mutant.bug)


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=[v.name for v in catalog.VARIANTS])
def test_correct_variant_gets_full_marks(graded, variant: catalog.Variant):
    assert_full_marks(graded[f"ok-{variant.name}"], variant.style)


def _by_component(result: dict) -> dict[str, set[str]]:
    """component -> the statuses of its checks."""
    out: dict[str, set[str]] = {}
    for c in result["checks"]:
        out.setdefault(c["tags"][0], set()).add(c["status"])
    return out


@pytest.mark.parametrize("name", [b[0] for b in catalog.BROKEN])
def test_broken_layout_costs_only_what_it_breaks(graded, name: str):
    result = graded[f"broken-{name}"]
    assert not result["error"] and result["checks"], describe(result)
    assert all(c["status"] != "error" for c in result["checks"]), describe(result)
    statuses = _by_component(result)
    # SGD lives in its own package (mytorch.optim): whatever breaks in mytorch.nn, it is graded.
    assert statuses["sgd"] == {"passed"}, describe(result)
    ids = {d["id"] for c in result["checks"] for d in c["diagnoses"]}
    broken = {"no-nn-init": ["mlp0", "mlp1", "mlp4"], "renamed-linear": ["linear"],
              "loss-fails-import": ["losses"]}[name]
    for component in broken:
        assert "passed" not in statuses[component], describe(result)
    assert ids & {"import-error", "missing-api"}, describe(result)
    if name == "no-nn-init":
        # (Swish and the S25 np.tanh rule are not part of the F23-F24 release: not-assigned.)
        assert statuses["linear"] == {"passed"}, describe(result)
        assert statuses["activations"] == {"passed", "not-assigned"}, describe(result)


def test_catalog_is_large_enough():
    assert len(catalog.MUTANTS) >= 30 and len(catalog.VARIANTS) >= 8
    assert len({m.name for m in catalog.MUTANTS}) == len(catalog.MUTANTS)
    assert {m.tag for m in catalog.MUTANTS} >= set(COMPONENTS) | {"training"}


def test_every_submission_is_caught_as_recorded(graded):
    """Same (component, diagnosis) pairs per mutant as tests/golden/mytorch.json, and nothing
    failing for the correct ones: what a speed-up of the grader must never change."""
    assert_matches_golden("mytorch", graded, sorted(graded))
