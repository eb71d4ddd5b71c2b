"""The training recipe: the student's FullyConnectedNet(hidden_dims=[64], input_dim=784,
num_classes=10, reg=0) trained on the MNIST subset in the grader's own loop: the grader cuts
the batches, calls the student's `loss(X, y)` for (loss, grads), and steps every parameter
with the student's update rule, passing each parameter's config back as the Solver does.

The grader sets the initial params itself and trains the reference (reference.py) on the
same batches from the same params; the loop, evaluation and statistics are MyTorch's
(grader/profiles/mytorch_hw1p1/training.py: `train` with a `Net`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.adapters import CS231n
from grader.profiles.cs231n_fc.layout import MODULES, UPDATE_RULES

Pairs = list[tuple[np.ndarray, np.ndarray]]  # [(W (in, out), b (out,)), ...] per layer


def rule_for(momentum: float) -> str:
    return "sgd_momentum" if momentum else "sgd"


def as_dict(pairs: Pairs) -> R.Params:
    out: R.Params = {}
    for i, (W, b) in enumerate(pairs, start=1):
        out[f"W{i}"], out[f"b{i}"] = W.copy(), b.copy()
    return out


def as_pairs(params: R.Params, depth: int) -> Pairs:
    return [(params[f"W{i}"], params[f"b{i}"]) for i in range(1, depth + 1)]


class LocalNet:
    """The reference net and update rule in the grader's process. Y (N, 10) one-hot."""

    def __init__(self, start: Pairs, lr: float, momentum: float) -> None:
        self.depth, self.current = len(start), as_dict(start)
        self.rule = rule_for(momentum)
        base = {**UPDATE_RULES[self.rule], "learning_rate": lr}
        if momentum:
            base["momentum"] = momentum
        self.configs = {k: dict(base) for k in self.current}

    def step(self, X: np.ndarray, Y: np.ndarray) -> float:
        loss, grads = R.net_loss(self.current, X, Y.argmax(axis=1), 0.0)
        for k in self.current:
            self.current[k], self.configs[k] = R.update(self.rule, self.current[k], grads[k],
                                                        self.configs[k])
        return loss

    def params(self) -> Pairs:
        return as_pairs(self.current, self.depth)


class StudentNet:
    """The student's FullyConnectedNet and update rule in the worker: one loss call and one
    rule call per parameter each step; params and configs held by the grader between calls."""

    def __init__(self, cs231n: CS231n, start: Pairs, lr: float, momentum: float) -> None:
        hidden = [W.shape[1] for W, _ in start[:-1]]
        self.cs231n, self.depth = cs231n, len(start)
        self.net = cs231n.net("FullyConnectedNet", hidden, input_dim=start[0][0].shape[0],
                              num_classes=start[-1][0].shape[1], reg=0.0, weight_scale=1e-2,
                              dtype="float64")
        self.current = as_dict(start)
        self.rule = rule_for(momentum)
        config: dict[str, Any] = {"learning_rate": lr}
        if momentum:
            config["momentum"] = momentum
        self.configs = {k: dict(config) for k in self.current}

    def step(self, X: np.ndarray, Y: np.ndarray) -> float:
        self.net.set("params", self.current)
        result = self.net.call("loss", X, Y.argmax(axis=1))
        loss, grads = result[0], result[1]
        for k in list(self.current):
            self.current[k], self.configs[k] = self.cs231n.pair(
                self.rule, self.current[k], grads[k], self.configs[k], module=MODULES["optim"],
                what="(next_w, config)")
            self.current[k] = np.asarray(self.current[k], dtype=np.float64)
        return float(loss)

    def params(self) -> Pairs:
        return as_pairs(self.current, self.depth)
