"""Fixtures of the CS231n checks: the submission's `cs231n` package through the adapter."""

from __future__ import annotations

from typing import Any

import pytest

from grader.profiles.cs231n_fc.adapters import CS231n


@pytest.fixture(scope="session")
def cs231n(student: Any) -> CS231n:
    return CS231n(student)
