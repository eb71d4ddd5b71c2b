"""Checks of optim.SGD: every parameter moves by exactly -lr * grad, for several lr (0 included),
activation layers are skipped, and each step reads the layers' current gradients.

The grader sets W, b, dW and db of every Linear itself, so these checks do not
depend on the student's Linear.backward.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import diagnose as D
from grader.checks.framework import CheckFailure, diagnosis, fail, tags, title
from grader.sandbox import Rng, StudentFailure

SHAPES = [(4, 6), (6, 5), (5, 3)]


class Net:
    """Linear layers (and optionally ReLU/Tanh between them) built in the worker, with the
    grader's own W, b, dW, db."""

    def __init__(self, student, seed: int, *, activations: bool = True) -> None:
        rng = np.random.default_rng(seed)
        self.layers: list = []
        self.linears: list = []
        self.values: list[dict[str, np.ndarray]] = []
        for i, (fan_in, fan_out) in enumerate(SHAPES):
            layer = student.new("layers", "Linear", fan_in, fan_out, rng=Rng(seed + i))
            values = {"W": rng.uniform(-1, 1, (fan_in, fan_out)), "b": rng.uniform(-1, 1, fan_out),
                      "dW": rng.uniform(-1, 1, (fan_in, fan_out)), "db": rng.uniform(-1, 1, fan_out)}
            for name, value in values.items():
                layer.set(name, value.copy())
            self.layers.append(layer)
            self.linears.append(layer)
            self.values.append(values)
            if activations and i < len(SHAPES) - 1:
                self.layers.append(student.new("layers", "ReLU" if i % 2 == 0 else "Tanh"))

    def set_gradients(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        for layer, values in zip(self.linears, self.values):
            for name in ("dW", "db"):
                values[name] = rng.uniform(-1, 1, values[name.replace("d", "", 1)].shape)
                layer.set(name, values[name].copy())

    def check_step(self, lr: float, *, note: str = "") -> None:
        """Compare every W and b with before - lr * grad, then remember them as the new 'before'."""
        problems: list[tuple[int, str, object]] = []
        plan = self.linears[0].plan()  # every read in one round trip, each failing as it alone would
        reads = plan.gets(self.linears, "W", "b")
        plan.run(lazy=True)
        for index, (read, values) in enumerate(zip(reads, self.values)):
            for name, step in zip(("W", "b"), read):
                after = step.value
                what = f"layer {index}'s {name} (Linear {index + 1} of {len(self.linears)})"
                found = D.sgd_signature(values[name], after, values["d" + name], lr, what=what)
                if found is not None:
                    problems.append((index, name, found))
                values[name] = np.asarray(after, dtype=np.float64).copy()
        if not problems:
            return
        ids = {d.id for _, _, d in problems}
        # A pattern over the whole network is more useful than the first parameter that failed.
        if ids == {"optimizer-skips-parameters"}:
            skipped = ", ".join(f"layer {i}'s {n}" for i, n, _ in problems)
            moved_any = len(problems) < 2 * len(self.linears)
            hint = (f"SGD.step never updates {skipped}: loop over every layer and update both W "
                    "and b (W -= lr * dW; b -= lr * db)") if moved_any else (
                "SGD.step changes no parameter at all: for each layer with W and b, "
                "W -= lr * dW and b -= lr * db")
            raise CheckFailure(diagnosis("optimizer-skips-parameters", hint), message=hint + note)
        first = problems[0][2]
        raise CheckFailure(first, message=first.hint + note)


def make_sgd(student, net: Net, lr: float):
    return student.new("optim", "SGD", net.layers, lr=lr)


@title("SGD: a step with lr={lr} moves by -lr * gradient")
@tags("sgd")
@pytest.mark.parametrize("lr", [0.1, 0.37])
def test_step(student, grading_seed, lr):
    """One step moves every W and b of every Linear by exactly -lr * dW / -lr * db."""
    net = Net(student, grading_seed)
    make_sgd(student, net, lr).call("step")
    net.check_step(lr, note=f" (lr = {lr})")


@title("SGD: lr = 0 leaves every parameter unchanged")
@tags("sgd")
def test_zero_learning_rate(student, grading_seed):
    """With lr = 0 a step leaves every parameter unchanged (the lr argument is used)."""
    net = Net(student, grading_seed)
    make_sgd(student, net, 0.0).call("step")
    net.check_step(0.0, note=" (lr = 0)")


@title("SGD: the step scales with the learning rate")
@tags("sgd")
def test_learning_rates_differ(student, grading_seed):
    """Steps with lr = 0.05 and lr = 0.8 move the parameters by -0.05 * grad and -0.8 * grad."""
    for lr in (0.05, 0.8):
        net = Net(student, grading_seed + 1)
        make_sgd(student, net, lr).call("step")
        net.check_step(lr, note=f" (lr = {lr})")


@title("SGD: skips layers without parameters")
@tags("sgd")
def test_skips_activation_layers(student, grading_seed):
    """SGD over [Linear, ReLU, Linear, Tanh, Linear] skips the activations without failing."""
    net = Net(student, grading_seed)
    try:
        make_sgd(student, net, 0.1).call("step")
    except StudentFailure as exc:
        if exc.diagnosis != "crash":
            raise
        fail("crash", "SGD.step fails on an activation layer: skip layers without W and b "
             "(if hasattr(layer, 'W'))", message=f"SGD.step fails on layers [Linear, ReLU, Linear, "
             f"Tanh, Linear]: skip layers without W and b (if hasattr(layer, 'W')).\n{exc.message}",
             output=exc.output)
    net.check_step(0.1)


@title("SGD: each step uses the current gradients")
@tags("sgd")
def test_steps_read_current_gradients(student, grading_seed):
    """Three steps, with new dW/db arrays set between them (as backward does): each step
    uses the gradients the layers hold at that moment."""
    net = Net(student, grading_seed + 2)
    sgd = make_sgd(student, net, 0.2)
    sgd.call("step")
    net.check_step(0.2, note=" (first step)")
    for k in range(2):
        net.set_gradients(grading_seed + 10 + k)
        sgd.call("step")
        try:
            net.check_step(0.2, note=f" (step {k + 2}, after backward set new dW and db)")
        except CheckFailure as exc:
            if exc.diagnoses[0].id in ("optimizer-update", "optimizer-skips-parameters") and k == 0:
                hint = ("SGD.step does not use the layers' current dW and db: read layer.dW and "
                        "layer.db inside step(), not copies or references taken in __init__ "
                        "(backward assigns new arrays)")
                raise CheckFailure(diagnosis("optimizer-update", hint)) from exc
            raise
