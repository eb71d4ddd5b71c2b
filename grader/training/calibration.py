"""The reference network, run in the grader's process: the yardstick of every training check.

- `accuracy_threshold`: the passing bar for test accuracy (the rule is documented there).
- `ref_forward` / `ref_gradients`: the reference forward/backward pass on *given*
  weights (the student's trained weights), so an accuracy is never taken from
  the student's own forward.
- `train_reference`: the reference trained the same way the student is
  (same sizes, activation, hyperparameters, seeds), memoised per configuration.

The reference runs with one BLAS thread: on a loaded 2-core machine OpenBLAS's
spinning threads make a 0.3 s run take seconds, and one thread keeps sums
bit-reproducible.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from grader.training.reference_cache import cached_run
from grader.training.stats import accuracy, cross_entropy

Params = list[tuple[np.ndarray, np.ndarray]]  # [(W (in, out), b (out,)) per Linear]


def accuracy_threshold(reference_accuracy: float, margin: float, min_accuracy: float) -> float:
    """The test accuracy a student must reach: min(max(min_accuracy, ref - margin), ref - margin / 2).

    - Normally both bars of the rubric hold: at least `min_accuracy` and within
      `margin` of the reference trained the same way (ref 0.91, margin 0.03,
      min 0.85 -> 0.88).
    - But a correct solution must never fail: a correct network lands within a
      point or so of the reference (seed noise), so the bar never comes closer
      to the reference than half the margin. When the reference itself barely
      reaches (or misses) `min_accuracy` (a hard data set, a shrunk workload for
      a slow submission, another activation), the bar falls to ref - margin/2
      (ref 0.86 -> 0.845; ref 0.70 -> 0.685) instead of failing everyone.
    """
    calibrated = reference_accuracy - margin
    return float(min(max(min_accuracy, calibrated), reference_accuracy - margin / 2.0))


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=1):
        yield


_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def _act(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(x, 0.0)
    if activation == "sigmoid":
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if activation == "tanh":
        return np.tanh(x)
    raise ValueError(f"unknown activation {activation!r}; expected one of {_ACTIVATIONS}")


def _act_grad(pre: np.ndarray, out: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return (pre > 0).astype(np.float64)
    if activation == "sigmoid":
        return out * (1.0 - out)
    return 1.0 - out ** 2


def ref_forward(params: Params, X: np.ndarray, activation: str) -> np.ndarray:
    """Logits (N, C) of the MLP with these weights, by the reference's definition."""
    h = X
    with np.errstate(all="ignore"):
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = _act(h, activation)
    return h


def ref_gradients(params: Params, X: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, Params]:
    """Mean CE loss and its gradient [(dW, db) per Linear] at these weights."""
    from grader.training.stats import cross_entropy_grad

    pres, outs = [], [X]
    h = X
    for i, (W, b) in enumerate(params):
        pre = h @ W + b
        pres.append(pre)
        h = _act(pre, activation) if i < len(params) - 1 else pre
        outs.append(h)
    loss = cross_entropy(h, y)
    g = cross_entropy_grad(h, y)
    grads: Params = []
    for i in range(len(params) - 1, -1, -1):
        if i < len(params) - 1:
            g = g * _act_grad(pres[i], outs[i + 1], activation)
        W, _ = params[i]
        grads.append((outs[i].T @ g, g.sum(axis=0)))
        g = g @ W.T
    grads.reverse()
    return loss, grads


def ref_predict(params: Params, X: np.ndarray, activation: str) -> np.ndarray:
    logits = ref_forward(params, X, activation)
    logits = np.where(np.isfinite(logits), logits, -np.inf)
    return np.argmax(logits, axis=1)


def init_params(sizes: Sequence[int], seed: int) -> Params:
    """The reference MLP's initial weights for MLP(sizes, rng=np.random.default_rng(seed))."""
    from reference.network import MLP

    model = MLP(list(sizes), rng=np.random.default_rng(seed))
    return [(layer.W.copy(), layer.b.copy()) for layer in model.layers if hasattr(layer, "W")]


@dataclass(frozen=True)
class ReferenceRun:
    """The reference trained on one configuration."""

    history: list[float]        # mean training loss per epoch
    train_accuracy: float
    test_accuracy: float
    test_loss: float
    seconds: float
    params: tuple


_CACHE: dict[tuple, ReferenceRun] = {}
_LOCK = threading.Lock()


def train_reference_meanwhile(**kwargs: object) -> Callable[[], ReferenceRun]:
    """`train_reference(**kwargs)` on a thread of its own; returns the function that waits for
    its ReferenceRun (or raises its exception).

    For the time the student's network trains in the sandbox worker, which leaves this
    process waiting on a pipe: the two trainings then share the machine's two cores (~0.6 s
    of a grading run). Call the returned function before any other NumPy work, so nothing
    else runs while the reference holds its one-BLAS-thread limit.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["run"] = train_reference(**kwargs)  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised by the caller's wait
            outcome["error"] = exc

    # A daemon: a run that ends early (its deadline) does not wait for the reference at exit.
    thread = threading.Thread(target=work, name="reference-training", daemon=True)
    thread.start()

    def wait() -> ReferenceRun:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["run"]  # type: ignore[return-value]

    return wait


def measuring_sources() -> list[Path]:
    """The code every kept reference run is measured with (grader.training.reference_cache):
    this module and its statistics."""
    from grader.training import stats

    return [Path(__file__), Path(stats.__file__)]


def _reference_sources() -> list[Path]:
    """The code a reference run depends on: the reference package, and what measures it."""
    import reference

    return [*sorted(Path(reference.__file__).parent.glob("*.py")), *measuring_sources()]


def train_reference(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, *,
                    sizes: Sequence[int], activation: str, epochs: int, batch_size: int,
                    lr: float, init_seed: int, train_seed: int, cache_key: object = None) -> ReferenceRun:
    """Train reference.network.MLP with reference.network.train, exactly as the student is asked to.

    `cache_key` names the data (e.g. (dataset name, n_train, data seed)); runs with
    the same key and configuration are memoised for the process's lifetime. Every run is
    also kept on disk between processes (grader.training.reference_cache).
    """
    from reference.network import MLP, train

    key = None
    if cache_key is not None:
        key = (cache_key, tuple(sizes), activation, epochs, batch_size, float(lr), init_seed,
               train_seed, X.shape, X_test.shape)
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
    def compute() -> dict[str, np.ndarray]:
        with one_blas_thread(), np.errstate(all="ignore"):
            model = MLP(list(sizes), activation=activation, rng=np.random.default_rng(init_seed))
            started = time.perf_counter()
            history = train(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr,
                            rng=np.random.default_rng(train_seed))
            seconds = time.perf_counter() - started
            params = [(layer.W.copy(), layer.b.copy()) for layer in model.layers if hasattr(layer, "W")]
            arrays = {"history": np.array([float(h) if math.isfinite(h) else math.inf for h in history],
                                          dtype=np.float64),
                      "train_accuracy": np.float64(accuracy(ref_predict(params, X, activation), y)),
                      "test_accuracy": np.float64(accuracy(ref_predict(params, X_test, activation), y_test)),
                      "test_loss": np.float64(cross_entropy(ref_forward(params, X_test, activation), y_test)),
                      "seconds": np.float64(seconds)}
        for i, (W, b) in enumerate(params):
            arrays[f"W{i}"], arrays[f"b{i}"] = W, b
        return arrays

    # Kept on disk between runs (reference_cache): the same arrays this machine computes.
    arrays = cached_run("mlp", (tuple(int(n) for n in sizes), activation, int(epochs), int(batch_size),
                                float(lr), int(init_seed), int(train_seed)),
                        (X, y, X_test, y_test), _reference_sources(), compute)
    layers = sum(1 for name in arrays if name.startswith("W"))
    run = ReferenceRun(
        history=[float(h) for h in arrays["history"]],
        train_accuracy=float(arrays["train_accuracy"]), test_accuracy=float(arrays["test_accuracy"]),
        test_loss=float(arrays["test_loss"]), seconds=float(arrays["seconds"]),
        params=tuple((arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(layers)))
    if key is not None:
        with _LOCK:
            _CACHE[key] = run
    return run
