"""Fixtures of the profile tests: materialised MyTorch submissions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "mytorch"))

import mytorch_catalog as catalog  # noqa: E402


@pytest.fixture
def mytorch_solution(tmp_path: Path) -> Path:
    return catalog.materialize(tmp_path / "handout")
