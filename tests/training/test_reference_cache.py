"""The reference's training runs kept on disk (grader.training.reference_cache): a run read
back is the run computed, and anything it was computed from changes the file it is kept in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.training import calibration, reference_cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(calibration, "_CACHE", {})  # the per-process memo: off the way
    return tmp_path / "cache" / "reference-runs"


def small_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, X_test = rng.uniform(0, 1, (60, 12)), rng.uniform(0, 1, (30, 12))
    return X, rng.integers(0, 10, 60), X_test, rng.integers(0, 10, 30)


def reference(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> calibration.ReferenceRun:
    return calibration.train_reference(X, y, X_test, y_test, sizes=[12, 8, 10], activation="relu", epochs=3,
                                       batch_size=16, lr=0.1, init_seed=1, train_seed=2)


def same_run(a: calibration.ReferenceRun, b: calibration.ReferenceRun) -> bool:
    return (a.history == b.history and a.train_accuracy == b.train_accuracy and a.test_accuracy == b.test_accuracy
            and a.test_loss == b.test_loss and len(a.params) == len(b.params)
            and all(np.array_equal(p, q) for pair, other in zip(a.params, b.params) for p, q in zip(pair, other)))


def test_a_run_read_back_is_the_run_computed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = reference(*small_data())
    assert len(list(cache.glob("mlp-*.npz"))) == 1
    monkeypatch.setattr(calibration, "_CACHE", {})
    trained: list[int] = []
    real = reference_cache.cached_run

    def spy(kind, settings, data, sources, compute):  # type: ignore[no-untyped-def]
        return real(kind, settings, data, sources, lambda: trained.append(1) or compute())

    monkeypatch.setattr(calibration, "cached_run", spy)
    read_back = reference(*small_data())
    assert trained == []  # not trained again
    assert same_run(computed, read_back)
    assert all(type(v) is float for v in (read_back.test_accuracy, read_back.test_loss, *read_back.history))


def test_other_data_or_settings_are_other_runs(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    X, y, X_test, y_test = small_data()
    reference(X, y, X_test, y_test)
    X2 = X.copy()
    X2[0, 0] += 1e-12  # one pixel, one ulp or so
    monkeypatch.setattr(calibration, "_CACHE", {})
    reference(X2, y, X_test, y_test)
    monkeypatch.setattr(calibration, "_CACHE", {})
    calibration.train_reference(X, y, X_test, y_test, sizes=[12, 8, 10], activation="tanh", epochs=3,
                                batch_size=16, lr=0.1, init_seed=1, train_seed=2)
    assert len(list(cache.glob("mlp-*.npz"))) == 3


def test_other_code_is_another_run(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "network.py"
    source.write_text("A = 1\n")
    computed: list[int] = []

    def compute() -> dict[str, np.ndarray]:
        computed.append(1)
        return {"x": np.arange(3.0)}

    for _ in range(2):
        reference_cache.cached_run("t", (1,), (np.zeros(2),), [source], compute)
    source.write_text("A = 2\n")
    reference_cache.cached_run("t", (1,), (np.zeros(2),), [source], compute)
    assert computed == [1, 1]


def test_a_damaged_file_is_computed_again(cache: Path) -> None:
    first = reference(*small_data())
    (kept,) = cache.glob("mlp-*.npz")
    kept.write_bytes(b"not a zip file")
    calibration._CACHE.clear()
    again = reference(*small_data())
    assert same_run(first, again)
    with np.load(kept, allow_pickle=False) as npz:  # rewritten whole
        assert "history" in npz.files


def test_a_course_reference_run_read_back_is_the_run_trained(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.profiles.mytorch_hw1p1.training import LocalNet
    from grader.training import runs

    X, y, X_test, y_test = small_data()
    start = runs.init_params((12, 8, 10), 3)
    kwargs = dict(epochs=2, batch_size=16, seed=4)
    trained = runs.train(LocalNet(start, 0.1, 0.9), start, X, y, X_test, y_test, **kwargs)
    first = runs.reference_run(LocalNet(start, 0.1, 0.9), start, X, y, X_test, y_test,
                               settings=((8,), 0.1, "0.9"), **kwargs)
    computed: list[int] = []
    real = reference_cache.cached_run
    monkeypatch.setattr(runs, "cached_run", lambda kind, settings, data, sources, compute: real(
        kind, settings, data, sources, lambda: computed.append(1) or compute()))
    again = runs.reference_run(LocalNet(start, 0.1, 0.9), start, X, y, X_test, y_test,
                               settings=((8,), 0.1, "0.9"), **kwargs)
    other = runs.reference_run(LocalNet(start, 0.1, 0.5), start, X, y, X_test, y_test,
                               settings=((8,), 0.1, "0.5"), **kwargs)
    assert computed == [1]  # only the other momentum was trained
    for run in (first, again):
        assert (run.losses, run.initial_loss, run.final_loss, run.test_accuracy, run.diverged) == (
            trained.losses, trained.initial_loss, trained.final_loss, trained.test_accuracy, trained.diverged)
        assert np.array_equal(run.confusion, trained.confusion) and run.collapse == trained.collapse
    assert other.losses != trained.losses


def test_the_data_as_its_digest_is_the_same_run(cache: Path) -> None:
    """A caller that hashed the data set once (runs.Runs, for each recipe) finds the runs kept
    under its arrays, and other data is another digest."""
    data = small_data()
    computed: list[int] = []

    def compute() -> dict[str, np.ndarray]:
        computed.append(1)
        return {"losses": np.array([2.0, 1.0])}

    sources = [Path(reference_cache.__file__)]
    first = reference_cache.cached_run("probe", (1,), data, sources, compute)
    digests = [reference_cache.digest_of(array) for array in data]
    again = reference_cache.cached_run("probe", (1,), digests, sources, compute)
    assert computed == [1] and np.array_equal(first["losses"], again["losses"])
    other = [reference_cache.digest_of(array) for array in small_data(seed=1)]
    reference_cache.cached_run("probe", (1,), other, sources, compute)
    assert computed == [1, 1]
