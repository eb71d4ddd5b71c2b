"""The training recipe: 784-64-10 assembled from the student's Linear, ReLU,
CrossEntropyLoss and SGD, trained on the MNIST subset in the grader's own loop.

The grader cuts the batches, calls each part in order (Linear, ReLU, Linear, loss,
backward in reverse, SGD.step) and sets the initial weights itself (the handout
initialises W to zeros, which cannot train a hidden layer). The reference network
(reference.py) is trained on the same batches from the same weights; accuracy is always
computed grader-side from the student's trained weights. The loop, the runs and their
verdicts are the framework's (grader/training/runs.py), shared with CS231n.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import CheckFailure, diagnosis
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1.adapters import (LINEAR_SHAPES, backward_signature_failure,
                                                     takes_no_argument)
from grader.sandbox import StudentException
from grader.sandbox.calls import WHOLE


class LocalNet:
    """The reference network in the grader's process."""

    def __init__(self, params: R.Params, lr: float, momentum: float) -> None:
        if len(params) != 2:
            raise ValueError("the MyTorch recipe has one hidden layer: training.hidden = [64]")
        self.current = [(W.copy(), b.copy()) for W, b in params]
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p) for pair in params for p in pair]

    def step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        X, Y = X[rows], Y[rows]
        (W1, b1), (W2, b2) = self.current
        Z1 = R.linear_forward(X, W1, b1)
        A1 = np.maximum(Z1, 0.0)
        loss, dZ2 = R.cross_entropy(R.linear_forward(A1, W2, b2), Y)
        dA1, dW2, db2 = R.linear_backward(A1, W2, dZ2)
        _, dW1, db1 = R.linear_backward(X, W1, np.where(Z1 > 0, dA1, 0.0))
        flat = [W1, b1, W2, b2]
        for i, g in enumerate((dW1, db1, dW2, db2)):
            self.velocity[i] = self.momentum * self.velocity[i] + g
            flat[i] = flat[i] - self.lr * self.velocity[i]
        self.current = [(flat[0], flat[1]), (flat[2], flat[3])]
        return loss

    def params(self) -> R.Params:
        return self.current


class StudentNet:
    """The student's parts in the worker, driven call by call by the grader (2 round trips a
    step, see _step)."""

    def __init__(self, mytorch: Any, params: R.Params, lr: float, momentum: float) -> None:
        self.sandbox, self.training_set = mytorch.student.sandbox, mytorch.training_set
        sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
        self.linears = [mytorch.linear(a, b) for a, b in zip(sizes, sizes[1:])]
        for face, (W, b) in zip(self.linears, params):
            face.set_params(W, b)
        self.relu = mytorch.activation("ReLU")
        self.loss = mytorch.loss("CrossEntropyLoss")
        kwargs = {"lr": lr} if momentum == 0 else {"lr": lr, "momentum": momentum}
        handles = [face.handle for face in self.linears]
        self.optimizer = mytorch.sgd(handles, interleaved=self._interleaved(mytorch, handles, kwargs),
                                     **kwargs)

    def _interleaved(self, mytorch: Any, handles: list[Any], kwargs: dict[str, float]) -> bool:
        """Whether the student's SGD steps through the handout's model layout (Linear, ReLU,
        ...); if not, the Linear layers alone, as the course's SGD test has them. Probed with
        a step on zero gradients, which moves nothing."""
        for face in self.linears:
            face.remote.set("dLdW", np.zeros((face.fan_out, face.fan_in)))
            face.remote.set("dLdb", np.zeros((face.fan_out, 1)))
        try:
            mytorch.sgd(handles, interleaved=True, **kwargs).call("step")
        except StudentException:
            return False
        return True

    def step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        try:
            with self.sandbox.unwatched():  # no check asks what a step changed in place
                if self.relu.legacy:
                    return self._step_by_calls(X[rows], Y[rows])
                return self._step(X, Y, rows)
        except CheckFailure as exc:
            raise self._bias_reshaped() or exc

    def _bias_reshaped(self) -> CheckFailure | None:
        """A Linear whose b no longer has its (out, 1) shape after SGD steps: the shape error
        in Linear was the optimizer's doing (b moved by a W-shaped array)."""
        for face in self.linears:
            shape = np.shape(face.remote.get("b"))
            if shape != (face.fan_out, 1):
                return CheckFailure(diagnosis(
                    "optimizer-update", f"after SGD.step a Linear's b has shape {shape}, not "
                    f"({face.fan_out}, 1): the step moved b by a W-shaped array (a bias velocity "
                    "fed from dLdW?); update b from dLdb only"))
        return None

    def _step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        """One step on the batch X[rows] in two round trips (3.0.x): the forward pass and the
        loss, then the loss's gradient, the backward pass and SGD.step, each a plan whose calls
        pass their values on as the grader did (plan.py); the batch's rows are taken from the
        training set kept in the worker (KeptRows). The loss value is judged between the two,
        as before; nothing else is judged between calls, and each value is read in the old
        order under the old translation, so a failure is the one the calls one by one raised.
        The first Linear's dLdA0 (batch x 784), which nothing reads, stays in the worker: only
        its call's failure crosses, where the array crossed every step (~0.4 MB)."""
        first, second, relu, loss = self.linears[0], self.linears[1], self.relu.remote, self.loss
        plan = first.handle.plan()
        batch = self.training_set.take(plan, X, rows)
        Z1 = plan.method(first.handle, "forward", batch)
        A1 = plan.method(relu, "forward", Z1)
        Z2 = plan.method(second.handle, "forward", A1)
        value = plan.method(loss.remote, "forward", Z2, Y[rows])
        plan.run(lazy=True)
        with D.shape_errors("Linear.forward", LINEAR_SHAPES):
            _ = Z1.value  # its failure, if it failed, as the call alone raised it
        _ = A1.value
        with D.shape_errors("Linear.forward", LINEAR_SHAPES):
            loss.batch = Z2.value.shape[0]
        judged = loss._value(value.value, False)

        plan = first.handle.plan()
        dLdA2 = plan.method(loss.remote, "backward")  # as the student's own Linear expects it
        dLdA1 = plan.method(second.handle, "backward", dLdA2)
        dLdZ1 = plan.method(relu, "backward", dLdA1)
        backward = plan.method_keep(first.handle, "backward", dLdZ1, keep=WHOLE)
        stepped = plan.method(self.optimizer, "step")
        plan.run(lazy=True)
        _ = dLdA2.value
        with D.shape_errors("Linear.backward", LINEAR_SHAPES):
            _ = dLdA1.value
        try:
            _ = dLdZ1.value
        except StudentException as exc:
            if takes_no_argument(exc):
                raise backward_signature_failure(self.relu.name) from None
            raise
        self._judge_step(backward, stepped)
        return float(judged)

    def _step_by_calls(self, X: np.ndarray, Y: np.ndarray) -> float:
        """2.0.x: the activation's backward is adapted call by call (v2_adapters.py)."""
        first, second = self.linears
        logits = second.forward(self.relu.forward(first.forward(X)))
        # The loss's gradient as the student's own Linear expects it (2.0.x: no 1/N).
        loss, dLdA2 = self.loss.forward_backward(logits, Y, native=True)
        dLdZ1 = self.relu.backward(second.backward(dLdA2))
        # The first Linear's backward and SGD.step in one round trip: nothing between them is
        # judged (backward's dLdA0 is not used), so the failures are those of two calls.
        plan = first.handle.plan()
        backward = plan.method_keep(first.handle, "backward", dLdZ1, keep=WHOLE)
        stepped = plan.method(self.optimizer, "step")
        plan.run(lazy=True)
        self._judge_step(backward, stepped)
        return float(loss)

    def _judge_step(self, backward: Any, stepped: Any) -> None:
        """The first Linear's backward, then SGD.step (steps of a lazy plan), judged in order."""
        with D.shape_errors("Linear.backward", LINEAR_SHAPES):
            _ = backward.value
        try:
            _ = stepped.value
        except StudentException as exc:
            # SGD tripping over a gradient of the wrong shape: blame Linear.backward, not SGD.
            blamed = D.blame_gradients(exc, [face.handle for face in self.linears],
                                       (("dLdW", "W"), ("dLdb", "b")))
            if blamed is None:
                raise
            raise blamed from exc

    def params(self) -> R.Params:
        return [face.params() for face in self.linears]
