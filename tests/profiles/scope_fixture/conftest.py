"""The throwaway profile's checks are graded by grade_scope.py (pytest rooted at their folder),
never collected as the project's own tests (they need the grading plugin's fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHECKS = Path(__file__).resolve().parent / "scope_profile" / "checks"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    grading = Path(config.rootpath).resolve() == CHECKS
    if not grading and CHECKS in (collection_path.resolve(), *collection_path.resolve().parents):
        return True
    return None
