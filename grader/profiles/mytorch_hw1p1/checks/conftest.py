"""Fixtures of the MyTorch checks: the submission seen through the profile's adapters."""

from __future__ import annotations

from typing import Any

import pytest

from grader.profiles.mytorch_hw1p1.adapters import MyTorch


@pytest.fixture(scope="session")
def mytorch(student: Any) -> MyTorch:
    return MyTorch(student)
