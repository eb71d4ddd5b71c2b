"""The grader's tags and diagnosis ids hold every one of the normative catalog
(../shared/docs/diagnoses.md); the profiles' additions are documented in the README,
where instructors read ids."""

from __future__ import annotations

import re

import pytest
from grading_helpers import REPO

from grader.vocabulary import DIAGNOSIS_IDS, TAGS

CATALOG = REPO.parent / "shared" / "docs" / "diagnoses.md"
README = REPO / "README.md"


@pytest.fixture(scope="module")
def catalog_text() -> str:
    if not CATALOG.is_file():
        pytest.skip(f"the diagnoses catalog is not at {CATALOG} (../shared/docs beside the repo)")
    return CATALOG.read_text()


def test_diagnosis_ids_match_the_catalog(catalog_text: str) -> None:
    ids = set(re.findall(r"^\| ([a-z][a-z-]+) \|", catalog_text, flags=re.M)) - {"id"}
    assert ids <= set(DIAGNOSIS_IDS)
    _documented_in_readme(set(DIAGNOSIS_IDS) - ids)


def _documented_in_readme(additions: set[str]) -> None:
    text = README.read_text()
    assert all(f"`{name}`" in text for name in additions), sorted(
        name for name in additions if f"`{name}`" not in text)


def test_tags_match_the_catalog(catalog_text: str) -> None:
    listed = re.search(r"from\s+`([^`]+)`", catalog_text)
    assert listed is not None
    tags = {t.strip() for t in listed.group(1).replace("\n", " ").split(",")}
    assert tags <= set(TAGS)
    _documented_in_readme(set(TAGS) - tags)
