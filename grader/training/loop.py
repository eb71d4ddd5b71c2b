"""The grader's own training loop, driving a network's layers through a small interface.

Used to tell layer bugs from loop bugs: the grader cuts the mini-batches,
computes the loss and its gradient with the reference definition, calls the
student's `forward`/`backward`, reads every Linear's dW, db and writes the
SGD-updated W, b back. If the student's layers learn under this loop and the
student's `train()` does not, the bug is in `train()`.

`RemoteDriver` talks to a student's MLP in the worker (2 round trips per step:
forward, then backward with every Linear's dW and db read in the same request; the
new W and b travel with the next forward; W is kept grader-side so it is never read
back). `LocalDriver` runs the reference MLP
in-process, for calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from grader.sandbox.plan import with_attributes
from grader.training.calibration import Params, ref_predict
from grader.training.stats import accuracy, cross_entropy, cross_entropy_grad


class Driver(Protocol):
    def forward(self, X: np.ndarray) -> np.ndarray: ...
    def backward_grads(self, grad: np.ndarray) -> Params: ...
    def params(self) -> Params: ...
    def set_params(self, params: Params) -> None: ...


class LinearLayersMissing(Exception):
    """The model's `layers` holds no object with W and b."""


def as_array(value: Any, what: str) -> np.ndarray:
    """A float64 array from the worker, or ValueError naming what was wrong."""
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{what} is a {type(value).__name__}, not a numpy array")
    return value.astype(np.float64, copy=False)


class RemoteDriver:
    """A student MLP in the worker, seen through its `layers` list."""

    def __init__(self, model: Any, *, timeout_s: float | None = None) -> None:
        self.model = model
        self.timeout_s = timeout_s
        layers = model.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise LinearLayersMissing(f"MLP.layers is a {type(layers).__name__}, not a list of layers")
        self.linears = with_attributes(list(layers), "W", "b")
        if not self.linears:
            raise LinearLayersMissing("MLP.layers holds no layer with W and b")

    def forward(self, X: np.ndarray) -> np.ndarray:
        return as_array(self.model.call("forward", X, timeout_s=self.timeout_s), "MLP.forward(x)")

    def backward_grads(self, grad: np.ndarray) -> Params:
        """MLP.backward(grad), then every Linear's (dW, db): one round trip."""
        plan = self.model.plan()
        plan.method(self.model, "backward", grad, timeout_s=self.timeout_s)
        return self._read(plan, "dW", "db")

    def params(self) -> Params:
        return self._read(self.model.plan(), "W", "b")

    def _read(self, plan: Any, weight: str, bias: str) -> Params:
        """Every Linear's (weight, bias) attributes, read by `plan` after its other calls."""
        steps = plan.gets(self.linears, weight, bias)
        plan.run()
        return [(as_array(w.value, f"Linear.{weight}"), as_array(b.value, f"Linear.{bias}"))
                for w, b in steps]

    def set_params(self, params: Params) -> None:
        for layer, (W, b) in zip(self.linears, params):
            layer.set("W", W)
            layer.set("b", b)


class LocalDriver:
    """The reference MLP in the grader's process (trusted code only)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.linears = [layer for layer in model.layers if hasattr(layer, "W")]

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self.model.forward(X)

    def backward_grads(self, grad: np.ndarray) -> Params:
        self.model.backward(grad)
        return [(layer.dW.copy(), layer.db.copy()) for layer in self.linears]

    def params(self) -> Params:
        return [(layer.W.copy(), layer.b.copy()) for layer in self.linears]

    def set_params(self, params: Params) -> None:
        for layer, (W, b) in zip(self.linears, params):
            layer.W = W.copy()
            layer.b = b.copy()


@dataclass
class LoopResult:
    losses: list[float] = field(default_factory=list)   # mean batch loss per epoch (grader's CE)
    initial_loss: float = math.nan                       # grader's CE on the eval set, before
    final_loss: float = math.nan                         # ... and after
    eval_accuracy: float = 0.0                           # grader's accuracy on the eval set
    steps: int = 0
    diverged: bool = False
    params: Params = field(default_factory=list)


def grader_loop(driver: Driver, X: np.ndarray, y: np.ndarray, X_eval: np.ndarray, y_eval: np.ndarray, *,
                activation: str, epochs: int, batch_size: int, lr: float, seed: int) -> LoopResult:
    """Mini-batch SGD on the mean CE, the grader's way; only forward/backward are the network's."""
    rng = np.random.default_rng(seed)
    params = driver.params()
    result = LoopResult()
    with np.errstate(all="ignore"):
        result.initial_loss = cross_entropy(_eval_logits(params, X_eval, activation), y_eval)
        n = len(y)
        for _ in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                logits = driver.forward(X[idx])
                total += cross_entropy(logits, y[idx]) * len(idx)
                grads = driver.backward_grads(cross_entropy_grad(logits, y[idx]))
                params = [(W - lr * dW.reshape(W.shape), b - lr * db.reshape(b.shape))
                          for (W, b), (dW, db) in zip(params, grads)]
                driver.set_params(params)
                result.steps += 1
                if not all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in params):
                    result.diverged = True
                    break
            result.losses.append(total / n)
            if result.diverged:
                break
        result.params = params
        result.final_loss = cross_entropy(_eval_logits(params, X_eval, activation), y_eval)
        result.eval_accuracy = accuracy(ref_predict(params, X_eval, activation), y_eval)
    return result


def _eval_logits(params: Params, X: np.ndarray, activation: str) -> np.ndarray:
    from grader.training.calibration import ref_forward

    return ref_forward(params, X, activation)
