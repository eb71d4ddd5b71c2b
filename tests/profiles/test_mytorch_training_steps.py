"""A MyTorch training step sends the loss's forward and backward in one request, and the
first Linear's backward with SGD.step in another (StudentNet._step); the step must do what
the calls one by one did and fail as they failed: a loss value that is not a number is
named as forward names it, and a first Linear whose backward fails is blamed with SGD.step
never run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.checks.framework import CheckFailure
from grader.checks.student import Student
from grader.profiles import get_profile
from grader.profiles.mytorch_hw1p1.adapters import LINEAR_SHAPES, MyTorch
from grader.profiles.mytorch_hw1p1.training import LocalNet, StudentNet
from grader.sandbox import Sandbox
from grader.training.runs import init_params

PROFILE = get_profile("mytorch-hw1p1")
SGD_MODULE = "mytorch.optim.sgd"
# SGD.step counted (read back with steps_made()), to tell whether a step ran.
COUNTED_STEP = '''

STEPS = []


def steps_made():
    return len(STEPS)


_step = SGD.step


def _counted(self):
    STEPS.append(1)
    return _step(self)


SGD.step = _counted
'''


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, Y one-hot, the rows of the step's batch): eight rows of a training set of twelve."""
    X = np.random.default_rng(0).normal(size=(12, 784))
    return X, np.eye(10)[np.arange(12) % 10], np.array([3, 0, 11, 7, 1, 4, 9, 2])


def run_step(root: Path, before: list | None = None) -> tuple[list, float, int]:
    """(the net's params after its first step, that step's step's loss, SGD steps made during it); `before` gets the count of
    SGD steps made before it (the layout probe's) when the step raises."""
    params = init_params((784, 16, 10), 0)
    sgd = root / "mytorch/optim/sgd.py"
    sgd.write_text(sgd.read_text() + COUNTED_STEP)
    with Sandbox(root, forbidden_imports=PROFILE.forbidden_imports, packages=True) as sb:
        net = StudentNet(MyTorch(Student(sb)), params, 0.1, 0.0)
        made = sb.call(SGD_MODULE, "steps_made")
        if before is not None:
            before.append(made)
        try:
            loss = net.step(*batch())
        finally:
            if before is not None:
                before.append(sb.call(SGD_MODULE, "steps_made"))
        return net.params(), loss, sb.call(SGD_MODULE, "steps_made") - made


def assert_the_references_step(root: Path) -> None:
    """The submission's first step makes one SGD step to the reference's loss and params."""
    params, loss, steps = run_step(root)
    reference = LocalNet(init_params((784, 16, 10), 0), 0.1, 0.0)
    assert loss == pytest.approx(reference.step(*batch()), rel=1e-6)
    assert steps == 1
    for (W, b), (rW, rb) in zip(params, reference.params()):
        np.testing.assert_allclose(W, rW, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(b, rb, rtol=1e-5, atol=1e-8)


def test_a_step_is_the_references_step(mytorch_solution):
    assert_the_references_step(mytorch_solution)


def test_a_loss_that_is_not_a_number_is_named_by_forward(mytorch_solution):
    """backward raises too, but it comes after the forward the grader refuses."""
    edit(mytorch_solution, "mytorch/nn/loss.py", "        L = np.sum(crossentropy) / N\n        return L",
         "        return None")
    edit(mytorch_solution, "mytorch/nn/loss.py", "        N = self.A.shape[0]\n        dLdA",
         "        raise RuntimeError('backward reached')\n        dLdA")
    with pytest.raises(CheckFailure) as info:
        run_step(mytorch_solution)
    assert "CrossEntropyLoss.forward" in info.value.message
    assert "backward reached" not in info.value.message


def test_a_first_linear_whose_backward_fails_is_blamed_and_sgd_never_steps(mytorch_solution):
    edit(mytorch_solution, "mytorch/nn/linear.py", "        dLdA = dLdZ @ self.W\n",
         "        dLdA = dLdZ @ self.W\n        if self.A.shape[1] == 784:\n"
         "            dLdA = dLdZ.T @ self.W\n")
    counts: list = []
    with pytest.raises(CheckFailure) as info:
        run_step(mytorch_solution, counts)
    (diagnosis,) = info.value.diagnoses
    assert (diagnosis.id, diagnosis.hint) == ("shape-mismatch", LINEAR_SHAPES)
    assert counts[0] == counts[1]  # SGD.step did not run


def test_the_first_linears_input_gradient_stays_in_the_worker(mytorch_solution):
    """dLdA0 (batch x 784) is read by nothing: a first Linear whose backward returns it in a
    form the channel refuses (an object array) still trains, as the reference does; sent back,
    it failed the step as unsendable."""
    edit(mytorch_solution, "mytorch/nn/linear.py", "        return dLdA\n",
         "        if self.A.shape[1] == 784:\n            dLdA = dLdA.astype(object)\n        return dLdA\n")
    assert_the_references_step(mytorch_solution)
