"""Training experiments in the grader's own loop, shared by the course profiles' training
checks (MyTorch, CS231n): the student's network and the reference trained side by side from
the same params on the same batches, evaluated grader-side, and the verdicts they share.

A profile supplies the two networks (a `Net`: one step on a batch, and its params) by
subclassing `Runs`; the loop (`train`), the statistics of a run (`TrainRun`), the starting
params (`init_params`) and the collapse and accuracy verdicts are the same for every profile.
Accuracy is always computed from the student's trained weights by the reference forward pass.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from grader.checks.framework import fail
from grader.sandbox.calls import WHOLE
from grader.training.calibration import (Params, accuracy_threshold, measuring_sources, one_blas_thread,
                                         ref_forward, ref_predict)
from grader.training.reference_cache import cached_run, digest_of
from grader.training.stats import (CollapseStats, accuracy, collapse_stats, confusion_matrix,
                                   cross_entropy, json_floats)

N_CLASSES = 10


class Net(Protocol):
    # One step on the batch X[rows], Y[rows]: X (N, D) and Y (N, 10) one-hot are the whole
    # training set (a student's net may keep it in the worker, KeptRows); the batch's loss.
    def step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float: ...
    def params(self) -> Params: ...                               # canonical [(W, b), ...]


class KeptRows:
    """A training set kept in a sandbox worker once (`Sandbox.keep`), so that a step takes its
    batch's rows there: a few hundred bytes of row numbers a step where the batch itself
    (batch x 784 float64, ~400 KB) crossed both ways through the channel. Sent again only
    for another array or after the worker was restarted."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self._kept: tuple[np.ndarray, Any] | None = None

    def of(self, X: np.ndarray) -> Any:
        """`X` in the worker (a RemoteObject of the same array)."""
        if self._kept is None or self._kept[0] is not X or self._kept[1].stale:
            self._kept = (X, self.sandbox.keep(X))
        return self._kept[1]

    def take(self, plan: Any, X: np.ndarray, rows: np.ndarray) -> Any:
        """A step of `plan`: X[rows] taken from `X` kept in the worker (a fresh array there,
        kept whole, for a later step of the plan to pass on)."""
        return plan.method_keep(self.of(X), "take", rows, axis=0, keep=WHOLE)


@dataclass
class TrainRun:
    losses: list[float] = field(default_factory=list)     # mean batch loss per epoch
    initial_loss: float = math.nan                         # grader's CE on the test set, before
    final_loss: float = math.nan                           # ... and after
    test_accuracy: float = 0.0
    collapse: CollapseStats | None = None
    confusion: np.ndarray | None = None                    # (10, 10) int: true class x predicted
    diverged: bool = False


def init_params(sizes: tuple[int, ...], seed: int) -> Params:
    """He-normal weights, zero biases: what the grader starts both networks from."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((a, b)) * math.sqrt(2.0 / a), np.zeros(b))
            for a, b in zip(sizes, sizes[1:])]


def one_hot(labels: np.ndarray, classes: int = N_CLASSES) -> np.ndarray:
    """labels (N,) integers -> (N, classes) float64."""
    Y = np.zeros((labels.shape[0], classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


def train(net: Net, start: Params, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
          y_test: np.ndarray, *, epochs: int, batch_size: int, seed: int) -> TrainRun:
    """Mini-batch training, the grader's way: its batches, one-hot labels, its evaluation.

    X: (N, D) and y: (N,) integer labels; X_test: (M, D), y_test: (M,)."""
    run, predictions = _train(net, start, X, y, X_test, y_test, epochs=epochs, batch_size=batch_size, seed=seed)
    return evaluated(run, predictions, y_test)


def evaluated(run: TrainRun, predictions: np.ndarray, y_test: np.ndarray) -> TrainRun:
    """`run` with its accuracy, collapse and confusion, from its test predictions (M,)."""
    run.test_accuracy = accuracy(predictions, y_test)
    run.collapse = collapse_stats(y_test, predictions)
    run.confusion = confusion_matrix(y_test, predictions)
    return run


def _train(net: Net, start: Params, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
           y_test: np.ndarray, *, epochs: int, batch_size: int, seed: int) -> tuple[TrainRun, np.ndarray]:
    """The training loop of `train`: (the run's losses, its test predictions (M,))."""
    run = TrainRun(initial_loss=cross_entropy(ref_forward(start, X_test, "relu"), y_test))
    order_rng = np.random.default_rng(seed)
    Y = one_hot(y)
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            order = order_rng.permutation(len(y))
            total = 0.0
            for begin in range(0, len(y), batch_size):
                idx = order[begin:begin + batch_size]
                total += net.step(X, Y, idx) * len(idx)
            run.losses.append(total / len(y))
            if not math.isfinite(run.losses[-1]):
                run.diverged = True
                break
        params = net.params()
        run.final_loss = cross_entropy(ref_forward(params, X_test, "relu"), y_test)
        predictions = ref_predict(params, X_test, "relu")
    run.diverged = run.diverged or not math.isfinite(run.final_loss)
    return run, predictions


def reference_run(net: Net, start: Params, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
                  y_test: np.ndarray, *, settings: tuple[object, ...], epochs: int, batch_size: int,
                  seed: int, data_digests: Sequence[bytes] = ()) -> TrainRun:
    """`train(net, ...)` for a reference network, kept on disk between gradings
    (grader.training.reference_cache). `settings`: what the net was built with besides
    `start` (rate, rule, sizes), as values with a stable repr. Its code is the source of
    the module defining the net's class and of the modules beside it (the profile's).
    `data_digests`: `reference_cache.digest_of` each of X, y, X_test, y_test, when the caller has them."""
    source = Path(inspect.getfile(type(net)))
    sources = [*sorted(source.parent.glob("*.py")), Path(__file__), *measuring_sources()]

    def compute() -> dict[str, np.ndarray]:
        with one_blas_thread():
            run, predictions = _train(net, start, X, y, X_test, y_test, epochs=epochs, batch_size=batch_size,
                                      seed=seed)
        return {"losses": np.array(run.losses, dtype=np.float64), "initial_loss": np.float64(run.initial_loss),
                "final_loss": np.float64(run.final_loss), "diverged": np.bool_(run.diverged),
                "predictions": np.asarray(predictions)}

    arrays = cached_run(f"{type(net).__module__}.{type(net).__qualname__}",
                        (*settings, int(epochs), int(batch_size), int(seed)),
                        (*(data_digests or (X, y, X_test, y_test)), *(a for pair in start for a in pair)),
                        sources, compute)
    run = TrainRun(losses=[float(v) for v in arrays["losses"]], initial_loss=float(arrays["initial_loss"]),
                   final_loss=float(arrays["final_loss"]), diverged=bool(arrays["diverged"]))
    return evaluated(run, arrays["predictions"], y_test)


class Runs:
    """Each experiment once per submission: (student, reference) TrainRuns per key. A profile
    subclasses it and builds its two networks (`reference_net`, `student_net`)."""

    def __init__(self, course: Any, rubric: Any, dataset: Any, seed: int,
                 artifacts: dict[str, Any]) -> None:
        # `course`: the profile's view of the student's code (its adapters), for student_net.
        self.course, self.cfg, self.dataset, self.seed = course, rubric.training, dataset, seed
        self.artifacts = artifacts
        self.done: dict[Any, tuple[TrainRun, TrainRun]] = {}
        self._data_digests: list[bytes] = []  # of the data set, for every experiment's reference run

    def experiment(self, key: Any, hidden: tuple[int, ...], lr: float, setting: Any, *,
                   publish: bool = False) -> tuple[TrainRun, TrainRun]:
        """(student, reference) trained once per `key` from the same params on the same
        batches; `setting` goes to the two nets (MyTorch: the momentum; CS231n: the recipe)."""
        if key not in self.done:
            sizes = (self.dataset.X_train.shape[1], *hidden, N_CLASSES)
            start = init_params(sizes, self.seed + 1)
            data = (self.dataset.X_train, self.dataset.y_train, self.dataset.X_test, self.dataset.y_test)
            kwargs = dict(epochs=self.cfg.epochs, batch_size=self.cfg.batch_size, seed=self.seed + 2)
            if not self._data_digests:
                self._data_digests = [digest_of(array) for array in data]
            reference = reference_run(self.reference_net(start, lr, setting), start, *data,
                                      settings=(tuple(int(h) for h in hidden), float(lr), repr(setting)),
                                      data_digests=self._data_digests, **kwargs)
            student = train(self.student_net(start, lr, setting), start, *data, **kwargs)
            self.done[key] = (student, reference)
            if publish:
                self.publish(student, reference)
        return self.done[key]

    def reference_net(self, start: Params, lr: float, setting: Any) -> Net:
        raise NotImplementedError("a profile's Runs builds its reference network")

    def student_net(self, start: Params, lr: float, setting: Any) -> Net:
        raise NotImplementedError("a profile's Runs builds the student's network")

    def publish(self, student: TrainRun, reference: TrainRun) -> None:
        """One run's curve and confusion matrix, for the report writers."""
        self.artifacts["learning_curve"] = {"student": json_floats(student.losses),
                                            "reference": json_floats(reference.losses)}
        if student.confusion is not None and student.collapse is not None:
            self.artifacts["confusion_matrix"] = student.confusion.astype(int).tolist()
            self.artifacts["predicted_histogram"] = list(student.collapse.predicted_histogram)
            self.artifacts["label_histogram"] = list(student.collapse.label_histogram)
        self.artifacts["test_accuracy"] = round(student.test_accuracy, 6)
        self.artifacts["reference_accuracy"] = round(reference.test_accuracy, 6)
        self.artifacts["accuracy_threshold"] = round(self.threshold(reference), 6)

    def threshold(self, reference: TrainRun) -> float:
        return accuracy_threshold(reference.test_accuracy, float(self.cfg.accuracy_margin),
                                  float(self.cfg.min_accuracy))


def describe(run: TrainRun, reference: TrainRun) -> str:
    """One run beside the reference's, for a failure's message."""
    return (f"test accuracy {run.test_accuracy:.1%} (reference on the same batches: "
            f"{reference.test_accuracy:.1%}); loss {run.initial_loss:.3g} -> {run.final_loss:.3g}")


def check_collapse(student: TrainRun, reference: TrainRun) -> None:
    """single-class-collapse when the trained network predicts (almost) one class."""
    if student.collapse is not None and student.collapse.collapsed:
        fail("single-class-collapse", f"after training, {student.collapse.describe()}: the network "
             "predicts (almost) one class for everything", message=describe(student, reference))


def check_accuracy(runs: Runs, student: TrainRun, reference: TrainRun, *, trained: str) -> None:
    """accuracy-below-threshold under the reference's bar; `trained` says what was trained,
    in the assignment's words."""
    bar = runs.threshold(reference)
    if not (math.isfinite(student.test_accuracy) and student.test_accuracy >= bar):
        fail("accuracy-below-threshold", f"{trained} reaches {student.test_accuracy:.1%} test "
             f"accuracy, below the bar of {bar:.1%} (the reference reaches "
             f"{reference.test_accuracy:.1%} on the same batches)", message=describe(student, reference))
