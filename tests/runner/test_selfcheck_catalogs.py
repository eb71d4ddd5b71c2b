"""`grader check` finds what `grader run` finds: under the self-check's smaller budget (15
examples per property, a costly check's floor of 3, the short training run), every bug of the
three profiles' fixture catalogs is still reported on its component with its diagnosis, and
no correct variant loses a check. This is what allows the self-check its budget (speed, issue
21): lowering it further must keep this test green."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from grading_helpers import describe, grade_in_subprocesses, job

TESTS = Path(__file__).resolve().parents[1]
for folder in ("mutants", "profiles/mytorch", "profiles/cs231n"):
    sys.path.insert(0, str(TESTS / folder))

import catalog as default_catalog  # noqa: E402
import cs231n_catalog  # noqa: E402
import mytorch_catalog  # noqa: E402

pytestmark = pytest.mark.slow

#: (key prefix, rubric, catalog) of each profile.
PROFILES = (("default", "selfcheck", default_catalog), ("mytorch", "mytorch-hw1p1", mytorch_catalog),
            ("cs231n", "cs231n-fc", cs231n_catalog))
MUTANTS = [(f"{prefix}:{m.name}", m) for prefix, _, catalog in PROFILES for m in catalog.MUTANTS]
VARIANTS = [f"{prefix}:ok-{v.name}" for prefix, _, catalog in PROFILES for v in catalog.VARIANTS]


def _materialize(prefix: str, catalog: Any, dest: Path, entry: Any) -> Path:
    """A mutant's or a correct variant's submission: the default catalog edits reference/ with
    its own helpers, the course catalogs apply `entry.edits` to their solution."""
    if prefix != "default":
        return catalog.materialize(dest, entry.edits)
    if isinstance(entry, catalog.Variant):
        return catalog.materialize_variant(dest, entry)
    return catalog.materialize(dest, mutant=entry)


@pytest.fixture(scope="module")
def self_checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("self-checked")
    jobs = []
    for prefix, rubric, catalog in PROFILES:
        for mutant in catalog.MUTANTS:
            path = _materialize(prefix, catalog, root / f"{prefix}-{mutant.name}", mutant)
            jobs.append(job(f"{prefix}:{mutant.name}", path, rubric=rubric, self_check=True,
                            include_tags=[mutant.tag], cost=4 if mutant.tag == "training" else 1))
        for variant in catalog.VARIANTS:
            path = _materialize(prefix, catalog, root / f"{prefix}-ok-{variant.name}", variant)
            tags = list(getattr(variant, "tags", None) or []) or None
            jobs.append(job(f"{prefix}:ok-{variant.name}", path, rubric=rubric, self_check=True,
                            cost=3, **({"include_tags": tags} if tags else {})))
    return grade_in_subprocesses(jobs, root, processes=2)


@pytest.mark.parametrize(("key", "mutant"), MUTANTS, ids=[key for key, _ in MUTANTS])
def test_the_self_check_reports_every_catalog_bug(self_checked: dict[str, dict], key: str, mutant: Any) -> None:
    result = self_checked[key]
    assert not result["error"], describe(result)
    reported = {d["id"] for c in result["checks"] if c["status"] == "failed" for d in c["diagnoses"]}
    assert mutant.diagnosis in reported, f"{mutant.bug}: not reported as {mutant.diagnosis}\n{describe(result)}"


@pytest.mark.parametrize("key", VARIANTS)
def test_no_correct_variant_fails_the_self_check(self_checked: dict[str, dict], key: str) -> None:
    result = self_checked[key]
    assert not result["error"] and result["checks"], describe(result)
    # "not-assigned": a check of a part the graded release does not assign (no points either way).
    assert all(c["status"] in ("passed", "not-assigned") for c in result["checks"]), describe(result)
