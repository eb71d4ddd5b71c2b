"""MNIST from the student's parts: 784-64-10 from Linear, ReLU, CrossEntropyLoss and SGD
(with and without momentum), trained in the grader's own loop (profile training.py), beside
the reference trained on the same batches from the same weights."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.framework import fail, tags, title
from grader.profiles.mytorch_hw1p1 import training as T
from grader.training.runs import Runs, TrainRun, check_accuracy, check_collapse, describe

MOMENTUM = 0.9


class MyTorchRuns(Runs):
    """The framework's experiments with 784-64-10 built from the student's MyTorch parts; one
    experiment per momentum."""

    def get(self, momentum: float) -> tuple[TrainRun, TrainRun]:
        # Momentum accumulates about 1 / (1 - mu) gradients: the same effective step size.
        lr = self.cfg.lr * (1.0 - momentum) if momentum else self.cfg.lr
        return self.experiment(momentum, tuple(self.cfg.hidden), lr, momentum, publish=not momentum)

    def reference_net(self, start: Any, lr: float, momentum: float) -> T.LocalNet:
        return T.LocalNet(start, lr, momentum)

    def student_net(self, start: Any, lr: float, momentum: float) -> T.StudentNet:
        return T.StudentNet(self.course, start, lr, momentum)


@pytest.fixture(scope="session")
def runs(mytorch, rubric, dataset, grading_seed, artifacts) -> MyTorchRuns:
    return MyTorchRuns(mytorch, rubric, dataset, grading_seed, artifacts)


WITH_AND_WITHOUT = (pytest.param(0.0, id="sgd"),
                    pytest.param(MOMENTUM, id="momentum", marks=tags("training", "momentum")))
OPTIMIZER = {0.0: "SGD", MOMENTUM: "momentum"}  # how the titles name each run


@title("Training with {momentum}: the loss falls", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_loss_decreases(runs: MyTorchRuns, momentum: float) -> None:
    """Under the grader's loop the test loss falls and stays finite."""
    student, reference = runs.get(momentum)
    if student.diverged or student.final_loss > 2.0 * student.initial_loss:
        fail("divergence", "training 784-64-10 from your Linear, ReLU, CrossEntropyLoss and SGD "
             "makes the loss grow (or reach inf/NaN): see the Linear, loss and SGD checks",
             message=describe(student, reference))
    if not student.final_loss < 0.8 * student.initial_loss:
        fail("no-learning", f"training 784-64-10 from your parts leaves the test loss at "
             f"{student.final_loss:.3g} (from {student.initial_loss:.3g}); the reference reaches "
             f"{reference.final_loss:.3g}: see the Linear, loss and SGD checks",
             message=describe(student, reference))


@title("Training with {momentum}: predicts more than one class", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_no_single_class_collapse(runs: MyTorchRuns, momentum: float) -> None:
    check_collapse(*runs.get(momentum))


@title("Training with {momentum}: test accuracy reaches the bar", momentum=OPTIMIZER)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_accuracy(runs: MyTorchRuns, momentum: float) -> None:
    """Test accuracy from the trained weights reaches the bar set by the reference."""
    check_accuracy(runs, *runs.get(momentum), trained="784-64-10 trained from your parts")
