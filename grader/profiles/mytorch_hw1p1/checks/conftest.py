"""Fixtures of the MyTorch checks: the submission seen through the profile's adapters."""

from __future__ import annotations

from typing import Any

import pytest

from grader.profiles.mytorch_hw1p1.adapters import MyTorch
from grader.profiles.mytorch_hw1p1.v2 import API, V3_API


@pytest.fixture(scope="session")
def mytorch(student: Any, rubric: Any) -> MyTorch:
    # The release's handout conventions (v2.py: api "2.0.x" for S22-S23), detected or set.
    return MyTorch(student, rubric.conventions.get(API, V3_API))
