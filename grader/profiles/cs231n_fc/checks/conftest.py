"""Fixtures of the CS231n checks: the submission's `cs231n` package through the adapter, and
the dropout convention graded (stated once in the report's facts)."""

from __future__ import annotations

from typing import Any

import pytest

from grader.profiles.cs231n_fc import conventions
from grader.profiles.cs231n_fc.adapters import CS231n


@pytest.fixture(scope="session")
def cs231n(student: Any) -> CS231n:
    return CS231n(student)


@pytest.fixture(scope="session")
def dropout_convention(cs231n: CS231n, rubric: Any, artifacts: dict[str, Any]
                       ) -> conventions.DropoutConvention:
    found = conventions.resolve(rubric.conventions.get("dropout_p", "keep"), cs231n)
    artifacts.setdefault("conventions", []).append(found.fact)
    return found
