"""The grader's own acceptance test: every public mutant is caught with the right tag and
diagnosis, and every correct variant (and the reference) gets full marks.

All submissions are materialised from tests/mutants/catalog.py into a temporary
folder and graded by `grader.runner.grade` in two subprocesses (the runner calls
pytest.main in-process, so it cannot run inside this pytest). Each mutant is
graded only on its own component (`include_tags`) to keep the suite fast; the
variants and the reference on every component these checks cover.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from grading_helpers import assert_caught, assert_full_marks, assert_matches_golden, describe, grade_in_subprocesses, job

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import catalog  # noqa: E402

#: Every component the check files of tests/mutants cover (training/performance are separate).
COMPONENTS = ["api", "linear", "relu", "sigmoid", "tanh", "softmax", "cross-entropy", "mse",
              "sgd", "mlp"]
WORKERS = 2
#: ~2-3 minutes on 2 cores: out of the quick `-m "not slow"` loop, in the full run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mutants")
    jobs = []
    for mutant in catalog.MUTANTS:
        path = catalog.materialize(root / mutant.name, mutant=mutant)
        jobs.append(job(mutant.name, path, include_tags=[mutant.tag]))
    for variant in catalog.VARIANTS:
        path = catalog.materialize_variant(root / f"ok-{variant.name}", variant)
        jobs.append(job(f"ok-{variant.name}", path, include_tags=COMPONENTS, cost=8))
    reference = catalog.materialize(root / "reference")
    jobs.append(job("reference", reference, include_tags=COMPONENTS, cost=8))
    return grade_in_subprocesses(jobs, root, processes=WORKERS)


@pytest.mark.parametrize("mutant", catalog.MUTANTS, ids=[m.name for m in catalog.MUTANTS])
def test_mutant_is_caught(graded, mutant: catalog.Mutant):
    assert_caught(graded[mutant.name], tag=mutant.tag, diagnosis=mutant.diagnosis, bug=mutant.bug)
    if mutant.hint:  # named as the student wrote it, not only classified
        hints = [d["hint"] for c in graded[mutant.name]["checks"] if c["status"] == "failed"
                 and c["tags"][:1] == [mutant.tag] for d in c["diagnoses"] if d["id"] == mutant.diagnosis]
        assert any(mutant.hint in h for h in hints), (
            f"{mutant.bug}: no '{mutant.diagnosis}' hint mentions {mutant.hint!r}: {hints}")


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=[v.name for v in catalog.VARIANTS])
def test_correct_variant_gets_full_marks(graded, variant: catalog.Variant):
    assert_full_marks(graded[f"ok-{variant.name}"], variant.style)


def test_reference_gets_full_marks(graded):
    result = graded["reference"]
    assert result["checks"] and all(c["status"] == "passed" for c in result["checks"]), describe(result)
    assert result["score"] == result["max_score"] > 0


def test_catalog_is_large_enough():
    assert len(catalog.MUTANTS) >= 40 and len(catalog.VARIANTS) >= 10
    assert len({m.name for m in catalog.MUTANTS}) == len(catalog.MUTANTS)


def test_every_submission_is_caught_as_recorded(graded):
    """Same (component, diagnosis) pairs per mutant as tests/golden/default.json, and nothing
    failing for the correct ones: what a speed-up of the grader must never change."""
    assert_matches_golden("default", graded, sorted(graded))
