"""MNIST with the student's FullyConnectedNet(hidden_dims=[64], input_dim=784, num_classes=10,
reg=0), its loss and its update rules (sgd, sgd_momentum), in the grader's own loop (profile
training.py), beside the reference trained on the same batches from the same params."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.checks.framework import fail, tags, title
from grader.profiles.cs231n_fc import training as T
from grader.profiles.mytorch_hw1p1.checks.test_training import (MOMENTUM, Runs, _describe,
                                                                check_accuracy, check_collapse)


class CS231nRuns(Runs):
    """MyTorch's experiments (same loop, batches, evaluation), with CS231n's nets."""

    def reference_net(self, start: Any, lr: float, momentum: float) -> T.LocalNet:
        return T.LocalNet(start, lr, momentum)

    def student_net(self, start: Any, lr: float, momentum: float) -> T.StudentNet:
        net = T.StudentNet(self.mytorch, start, lr, momentum)
        self.students[momentum] = (net, start)
        return net


@pytest.fixture(scope="session")
def runs(cs231n, rubric, dataset, grading_seed, artifacts) -> CS231nRuns:
    out = CS231nRuns(cs231n, rubric, dataset, grading_seed, artifacts)
    out.students = {}
    return out


WITH_AND_WITHOUT = (pytest.param(0.0, id="sgd"),
                    pytest.param(MOMENTUM, id="sgd_momentum", marks=tags("training", "update-rules")))
RULE = {0.0: "sgd", MOMENTUM: "sgd_momentum"}  # the Solver's update_rule, as the titles name it


@title("Solver with {momentum}: the loss falls", momentum=RULE)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_loss_decreases(runs: CS231nRuns, momentum: float) -> None:
    """The test loss falls and stays finite; an update rule that never moves the weights is named."""
    student, reference = runs.get(momentum)
    rule = T.rule_for(momentum)
    if student.diverged or student.final_loss > 2.0 * student.initial_loss:
        fail("divergence", f"training FullyConnectedNet([64]) with your loss and {rule} makes the "
             f"loss grow (or reach inf/NaN): see the {rule} and fc-net checks",
             message=_describe(student, reference))
    net, start = runs.students[momentum]
    if all(np.array_equal(a, b) for pair, old in zip(net.params(), start) for a, b in zip(pair, old)):
        fail("no-learning", f"{rule} never moves the weights: after training every parameter "
             "equals its initial value (return next_w, do not only edit a copy)",
             message=_describe(student, reference))
    if not student.final_loss < 0.8 * student.initial_loss:
        fail("no-learning", f"training FullyConnectedNet([64]) with your loss and {rule} leaves "
             f"the test loss at {student.final_loss:.3g} (from {student.initial_loss:.3g}); the "
             f"reference reaches {reference.final_loss:.3g}", message=_describe(student, reference))


@title("Solver with {momentum}: predicts more than one class", momentum=RULE)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_no_single_class_collapse(runs: CS231nRuns, momentum: float) -> None:
    check_collapse(*runs.get(momentum))


@title("Solver with {momentum}: test accuracy reaches the bar", momentum=RULE)
@tags("training")
@pytest.mark.parametrize("momentum", WITH_AND_WITHOUT)
def test_accuracy(runs: CS231nRuns, momentum: float) -> None:
    """Test accuracy from the trained params reaches the bar set by the reference."""
    check_accuracy(runs, *runs.get(momentum), trained=f"FullyConnectedNet([64]) trained with your "
                   f"loss and {T.rule_for(momentum)}")
