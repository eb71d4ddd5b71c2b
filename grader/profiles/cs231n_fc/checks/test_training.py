"""MNIST with the student's FullyConnectedNet, its loss and each of its update rules (sgd,
sgd_momentum, rmsprop, adam on [training] hidden; sgd_momentum on deep_hidden), in the
grader's own loop (profile training.py), beside the reference trained on the same batches
from the same params."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.checks.framework import fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc import training as T
from grader.profiles.cs231n_fc.layout import UPDATE_RULES
from grader.profiles.cs231n_fc.update_forms import accepted_starts, same_step
from grader.training.runs import Runs, check_accuracy, check_collapse, describe

class CS231nRuns(Runs):
    """The framework's experiments (grader/training/runs.py: the loop, batches, evaluation
    MyTorch's use too), with CS231n's nets; one experiment per recipe (training.RECIPES)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        # Per recipe: the student's net with its start params, and the reference net (their
        # step-by-step batch losses and final params are what the checks compare).
        self.students: dict[str, tuple[T.StudentNet, T.Pairs]] = {}
        self.references: dict[str, T.LocalNet] = {}

    def recipe(self, key: str) -> T.Recipe:
        return T.recipe(key, self.cfg)

    def run(self, key: str) -> tuple[Any, Any]:
        recipe = self.recipe(key)
        return self.experiment(key, recipe.hidden, recipe.lr, recipe, publish=key == "sgd")

    def reference_net(self, start: Any, lr: float, recipe: T.Recipe) -> T.LocalNet:
        self.references[recipe.key] = T.LocalNet(start, recipe.rule, lr)
        return self.references[recipe.key]

    def student_net(self, start: Any, lr: float, recipe: T.Recipe) -> T.StudentNet:
        net = T.StudentNet(self.course, start, recipe.rule, lr)
        self.students[recipe.key] = (net, start)
        return net


@pytest.fixture(scope="session")
def runs(cs231n, rubric, dataset, grading_seed, artifacts) -> CS231nRuns:
    return CS231nRuns(cs231n, rubric, dataset, grading_seed, artifacts)


# The first recipe is the training component's core; the others also exercise update-rules.
RECIPES = [pytest.param(key, id=key, marks=() if key == "sgd" else tags("training", "update-rules"))
           for key in T.RECIPES]


@tags("training")
@title("Training {recipe}: the test loss falls and stays finite")
@pytest.mark.parametrize("recipe", RECIPES)
def test_loss_decreases(runs: CS231nRuns, recipe: str) -> None:
    """The test loss falls and stays finite; an update rule that never moves the weights is named."""
    student, reference = runs.run(recipe)
    spec = runs.recipe(recipe)
    if student.diverged or student.final_loss > 2.0 * student.initial_loss:
        fail("divergence", f"training {spec.trained} (learning_rate {spec.lr:g}) makes the loss "
             f"grow (or reach inf/NaN): see the {spec.rule} and fc-net checks",
             message=describe(student, reference))
    net, start = runs.students[recipe]
    if all(np.array_equal(a, b) for pair, old in zip(net.params(), start) for a, b in zip(pair, old)):
        fail("no-learning", f"{spec.rule} never moves the weights: after training every parameter "
             "equals its initial value (return next_w, do not only edit a copy)",
             message=describe(student, reference))
    if not student.final_loss < 0.8 * student.initial_loss:
        fail("no-learning", f"training {spec.trained} leaves the test loss at "
             f"{student.final_loss:.3g} (from {student.initial_loss:.3g}); the reference reaches "
             f"{reference.final_loss:.3g}", message=describe(student, reference))


@tags("training")
@title("Training {recipe}: the first steps follow the update rule")
@pytest.mark.parametrize("recipe", RECIPES)
def test_steps_follow_reference(runs: CS231nRuns, recipe: str) -> None:
    """Each of the first updates in training is the rule's own step from the student's params
    and the student's own grads (state carried as the rule carries it): the update is judged,
    not the loss, so a wrong loss or gradient is charged once, on its own component, and a
    rule that learns while computing the wrong step (no bias correction, lost state) is named."""
    runs.run(recipe)
    spec = runs.recipe(recipe)
    trace = runs.students[recipe][0].trace
    if not trace:
        return  # training failed before its first step: test_loss_decreases says why
    for name in trace[0][0]:
        start = [before[name] for before, _, _ in trace]
        grads = [g[name] for _, g, _ in trace]
        theirs = [after[name] for _, _, after in trace]
        step = first_wrong_update(spec.rule, spec.lr, start, grads, theirs)
        if step is None:
            continue
        if step == 0:
            fail("optimizer-update", f"training {spec.trained}: the first update of {name} is not "
                 f"{spec.rule}'s step from your grads: see the {spec.rule} checks")
        fail("config-state", f"training {spec.trained}: the first update of {name} is right but "
             f"update {step + 1} is not; the usual cause is state: {spec.rule} must keep it in the "
             "config it returns and read it back on the next call (the grader passes each "
             f"parameter's returned config back, as the Solver does); see the {spec.rule} checks")


def first_wrong_update(rule: str, lr: float, start: list[np.ndarray], grads: list[np.ndarray],
                       theirs: list[np.ndarray]) -> int | None:
    """The first step k (0-based) where theirs[k] is not the rule's step from start[k] with
    grads[k] and the rule's state so far, in any form the course accepts; None when all are."""
    best = 0
    for config in accepted_starts(rule, {**UPDATE_RULES[rule], "learning_rate": lr}):
        for k, (w, dw, got) in enumerate(zip(start, grads, theirs)):
            want, config = R.update(rule, w, dw, config)
            if not same_step(got, want, w):
                best = max(best, k)
                break
        else:
            return None
    return best


@tags("training")
@title("Training {recipe}: predictions do not collapse to one class")
@pytest.mark.parametrize("recipe", RECIPES)
def test_no_single_class_collapse(runs: CS231nRuns, recipe: str) -> None:
    check_collapse(*runs.run(recipe))


@tags("training")
@title("Training {recipe}: test accuracy reaches the reference's bar")
@pytest.mark.parametrize("recipe", RECIPES)
def test_accuracy(runs: CS231nRuns, recipe: str) -> None:
    """Test accuracy from the trained params reaches the bar set by the reference."""
    check_accuracy(runs, *runs.run(recipe), trained=f"{runs.recipe(recipe).trained} trained")
