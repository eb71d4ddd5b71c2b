"""MNIST from the student's parts: 784-64-10 from Linear, ReLU, CrossEntropyLoss and SGD
(with and without momentum), trained in the grader's own loop (profile training.py), beside
the reference trained on the same batches from the same weights."""

from __future__ import annotations

import math
from typing import Any

import pytest

from grader.checks.framework import fail, tags, title
from grader.profiles.mytorch_hw1p1 import training as T
from grader.training.calibration import accuracy_threshold, one_blas_thread

MOMENTUM = 0.9


class Runs:
    """Each experiment once per submission: (student, reference) TrainRuns per momentum."""

    def __init__(self, mytorch: Any, rubric: Any, dataset: Any, seed: int,
                 artifacts: dict[str, Any]) -> None:
        self.mytorch, self.cfg, self.dataset, self.seed = mytorch, rubric.training, dataset, seed
        self.artifacts = artifacts
        self.done: dict[Any, tuple[T.TrainRun, T.TrainRun]] = {}

    def get(self, momentum: float) -> tuple[T.TrainRun, T.TrainRun]:
        # Momentum accumulates about 1 / (1 - mu) gradients: the same effective step size.
        lr = self.cfg.lr * (1.0 - momentum) if momentum else self.cfg.lr
        return self.experiment(momentum, tuple(self.cfg.hidden), lr, momentum, publish=not momentum)

    def experiment(self, key: Any, hidden: tuple[int, ...], lr: float, setting: Any, *,
                   publish: bool = False) -> tuple[T.TrainRun, T.TrainRun]:
        """(student, reference) trained once per `key` from the same params on the same
        batches; `setting` goes to the two nets (MyTorch: the momentum)."""
        if key not in self.done:
            sizes = (self.dataset.X_train.shape[1], *hidden, T.N_CLASSES)
            start = T.init_params(sizes, self.seed + 1)
            data = (self.dataset.X_train, self.dataset.y_train, self.dataset.X_test, self.dataset.y_test)
            kwargs = dict(epochs=self.cfg.epochs, batch_size=self.cfg.batch_size, seed=self.seed + 2)
            with one_blas_thread():
                reference = T.train(self.reference_net(start, lr, setting), start, *data, **kwargs)
            student = T.train(self.student_net(start, lr, setting), start, *data, **kwargs)
            self.done[key] = (student, reference)
            if publish:
                self.publish(student, reference)
        return self.done[key]

    # The two networks of one experiment (another profile's Runs overrides these).
    def reference_net(self, start: Any, lr: float, setting: Any) -> T.Net:
        return T.LocalNet(start, lr, setting)

    def student_net(self, start: Any, lr: float, setting: Any) -> T.Net:
        return T.StudentNet(self.mytorch, start, lr, setting)

    def publish(self, student: T.TrainRun, reference: T.TrainRun) -> None:
        """The plain-SGD run's curve and confusion matrix, for the report writers."""
        from grader.training.stats import json_floats

        self.artifacts["learning_curve"] = {"student": json_floats(student.losses),
                                            "reference": json_floats(reference.losses)}
        if student.confusion is not None and student.collapse is not None:
            self.artifacts["confusion_matrix"] = student.confusion.astype(int).tolist()
            self.artifacts["predicted_histogram"] = list(student.collapse.predicted_histogram)
            self.artifacts["label_histogram"] = list(student.collapse.label_histogram)
        self.artifacts["test_accuracy"] = round(student.test_accuracy, 6)
        self.artifacts["reference_accuracy"] = round(reference.test_accuracy, 6)
        self.artifacts["accuracy_threshold"] = round(self.threshold(reference), 6)

    def threshold(self, reference: T.TrainRun) -> float:
        return accuracy_threshold(reference.test_accuracy, float(self.cfg.accuracy_margin),
                                  float(self.cfg.min_accuracy))


@pytest.fixture(scope="session")
def runs(mytorch, rubric, dataset, grading_seed, artifacts) -> Runs:
    return Runs(mytorch, rubric, dataset, grading_seed, artifacts)


WITH_AND_WITHOUT = (pytest.param(0.0, id="sgd"),
                    pytest.param(MOMENTUM, id="momentum", marks=tags("training", "momentum")))
OPTIMIZER = {0.0: "SGD", MOMENTUM: "momentum"}  # how the titles name each run


def _describe(run: T.TrainRun, reference: T.TrainRun) -> str:
    return (f"test accuracy {run.test_accuracy:.1%} (reference on the same batches: "
            f"{reference.test_accuracy:.1%}); loss {run.initial_loss:.3g} -> {run.final_loss:.3g}")


@title("Training with {momentum}: the loss falls", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_loss_decreases(runs: Runs, momentum: float) -> None:
    """Under the grader's loop the test loss falls and stays finite."""
    student, reference = runs.get(momentum)
    if student.diverged or student.final_loss > 2.0 * student.initial_loss:
        fail("divergence", "training 784-64-10 from your Linear, ReLU, CrossEntropyLoss and SGD "
             "makes the loss grow (or reach inf/NaN): see the Linear, loss and SGD checks",
             message=_describe(student, reference))
    if not student.final_loss < 0.8 * student.initial_loss:
        fail("no-learning", f"training 784-64-10 from your parts leaves the test loss at "
             f"{student.final_loss:.3g} (from {student.initial_loss:.3g}); the reference reaches "
             f"{reference.final_loss:.3g}: see the Linear, loss and SGD checks",
             message=_describe(student, reference))


@title("Training with {momentum}: predicts more than one class", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_no_single_class_collapse(runs: Runs, momentum: float) -> None:
    check_collapse(*runs.get(momentum))


@title("Training with {momentum}: test accuracy reaches the bar", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_accuracy(runs: Runs, momentum: float) -> None:
    """Test accuracy from the trained weights reaches the bar set by the reference."""
    check_accuracy(runs, *runs.get(momentum), trained="784-64-10 trained from your parts")


def check_collapse(student: T.TrainRun, reference: T.TrainRun) -> None:
    """Shared with other profiles' training checks (same runs, same statistics)."""
    if student.collapse is not None and student.collapse.collapsed:
        fail("single-class-collapse", f"after training, {student.collapse.describe()}: the network "
             "predicts (almost) one class for everything", message=_describe(student, reference))


def check_accuracy(runs: Runs, student: T.TrainRun, reference: T.TrainRun, *, trained: str) -> None:
    """`trained` says what was trained, in the assignment's words."""
    bar = runs.threshold(reference)
    if not (math.isfinite(student.test_accuracy) and student.test_accuracy >= bar):
        fail("accuracy-below-threshold", f"{trained} reaches {student.test_accuracy:.1%} test "
             f"accuracy, below the bar of {bar:.1%} (the reference reaches "
             f"{reference.test_accuracy:.1%} on the same batches)", message=_describe(student, reference))
