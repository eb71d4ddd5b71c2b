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


@pytest.fixture
def mytorch_legacy(tmp_path: Path) -> Path:
    """The solution with the 2.0.x activation convention: backward() without dLdA."""
    path = catalog.materialize(tmp_path / "legacy")
    file = path / catalog.A
    file.write_text(file.read_text().replace("def backward(self, dLdA):",
                                             "def backward(self):\n        dLdA = 1.0"))
    return path
