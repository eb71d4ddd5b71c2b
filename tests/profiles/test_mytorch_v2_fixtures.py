"""mytorch-hw1p1 on 2.0.x submissions (S22-S23), graded as the 2.0.1 autograder grades them:
the 2.0.x solution gets full marks (training included, GELU and Softmax not part of the
assignment), the handout's stub gets nothing, every 2.0.x mutant loses points on its
component with its diagnosis (those the course's own tests pass say so), every correct
variant gets full marks.

Submissions: tests/profiles/mytorch_v2/ (written in the 2.0.x handout's style).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from grading_helpers import assert_caught, describe, grade_in_subprocesses, job

sys.path.insert(0, str(Path(__file__).resolve().parent / "mytorch_v2"))

import mytorch_v2_catalog as catalog  # noqa: E402

RUBRIC = "mytorch-hw1p1"
COMPONENTS = {"linear", "activations", "losses", "sgd", "batchnorm", "mlp0", "mlp1", "mlp4", "training"}
RELEASE = "MyTorch 2.0.x S22-S23"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mytorch_v2")
    from test_mytorch_v2 import models_build

    jobs = [job("solution", catalog.materialize(root / "solution"), rubric=RUBRIC, cost=12),
            job("models-build", models_build(root / "models-build"), rubric=RUBRIC,
                include_tags=["losses", "mlp0", "mlp1", "mlp4"], cost=3),
            job("stub", catalog.materialize(root / "stub", solution=catalog.STUB), rubric=RUBRIC, cost=6)]
    for mutant in catalog.MUTANTS:
        jobs.append(job(mutant.name, catalog.materialize(root / mutant.name, mutant.edits),
                        rubric=RUBRIC, include_tags=[mutant.tag], cost=1))
    for variant in catalog.VARIANTS:
        jobs.append(job(f"ok-{variant.name}", catalog.materialize(root / f"ok-{variant.name}", variant.edits),
                        rubric=RUBRIC, include_tags=variant.tags, cost=len(variant.tags)))
    return grade_in_subprocesses(jobs, root, processes=2)


def assert_full_marks_as_2_0_x(result: dict, style: str = "") -> None:
    """Every check passed, or was ended as not part of 2.0.x (e.g. S25's np.tanh rule)."""
    assert not result["error"], describe(result)
    assert all(c["status"] in ("passed", "not-assigned") for c in result["checks"]), f"{style}\n{describe(result)}"
    assert result["score"] == result["max_score"] > 0


def test_solution_gets_full_marks_as_2_0_x(graded):
    result = graded["solution"]
    assert {c["tags"][0] for c in result["checks"]} == COMPONENTS, describe(result)
    assert_full_marks_as_2_0_x(result)
    assert result["release"] == RELEASE and "no dLdA" in result["release_why"]
    # The handout has no GELU or Softmax: listed, not graded, and activations keep their 10.
    assert {part["component"] for part in result["not_assigned"]} == {"gelu", "softmax"}
    activations = sum(c["max_score"] for c in result["checks"] if c["tags"][0] == "activations")
    assert activations == pytest.approx(10.0)
    assert result["max_score"] == pytest.approx(115.0)


def test_the_mytorch_models_build_is_graded_by_its_own_mse(graded):
    """MLPs in mytorch/models/, MSELoss = SSE / (N C) with dLdA = A - Y (2.0.0, first 2.0.1)."""
    result = graded["models-build"]
    assert result["release"] == "MyTorch 2.0.x mytorch/models", describe(result)
    assert_full_marks_as_2_0_x(result)


def test_beyond_the_course_costs_nothing_in_2_0_x(graded):
    beyond = [c for c in graded["solution"]["checks"] if c.get("beyond_course")]
    assert beyond and all(c["max_score"] == 0 for c in beyond), describe(graded["solution"])
    assert any("Z up to 1e3" in c["title"] for c in beyond)


def test_stub_gets_nothing(graded):
    result = graded["stub"]
    assert not result["error"] and result["release"] == RELEASE, describe(result)
    assert all(c["status"] != "error" for c in result["checks"]), describe(result)
    earned = {c["title"] for c in result["checks"] if c["score"] > 0}
    # Only what the handout itself writes may pass: Identity, BatchNorm's initial state.
    assert all(t.startswith(("Identity:", "BatchNorm1d: initial")) for t in earned), describe(result)
    assert result["score"] < 0.1 * result["max_score"], describe(result)
    # The first-run report: the source says nothing is written, in the handout's order.
    first = result["artifacts"]["first_run"]
    assert first["form"] == "handout" and first["steps"][0]["file"] == "mytorch/nn/linear.py", first


@pytest.mark.parametrize("mutant", catalog.MUTANTS, ids=[m.name for m in catalog.MUTANTS])
def test_mutant_is_caught(graded, mutant: catalog.Mutant):
    result = graded[mutant.name]
    assert_caught(result, tag=mutant.tag, diagnosis=mutant.diagnosis, bug=mutant.bug)
    # The checks that name the bug say whether the course's own test of the component sees it.
    naming = [c for c in result["checks"] if c["status"] == "failed" and c["tags"][:1] == [mutant.tag]
              and mutant.diagnosis in [d["id"] for d in c["diagnoses"]]]
    assert all(bool(c.get("course_misses")) == mutant.missed for c in naming), describe(result)


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=[v.name for v in catalog.VARIANTS])
def test_correct_variant_gets_full_marks(graded, variant: catalog.Variant):
    assert_full_marks_as_2_0_x(graded[f"ok-{variant.name}"], variant.style)
