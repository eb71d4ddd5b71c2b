"""The training recipes: the student's FullyConnectedNet(hidden_dims, input_dim=784,
num_classes=10, reg=0) trained on the MNIST subset in the grader's own loop: the grader cuts
the batches, calls the student's `loss(X, y)` for (loss, grads), and steps every parameter
with the student's update rule, passing each parameter's config back as the Solver does.

One recipe per update rule (sgd, sgd_momentum, rmsprop, adam) on [training] hidden, and a
deeper net ([training] deep_hidden) with sgd_momentum. The grader sets the initial params
itself and trains the reference (reference.py) on the same batches from the same params; the
loop, evaluation and statistics are the framework's (grader/training/runs.py: `train` with a
`Net`), as MyTorch's are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks import diagnose as D
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.adapters import CS231n
from grader.profiles.cs231n_fc.layout import MODULES, UPDATE_RULES
from grader.sandbox import StudentException

Pairs = list[tuple[np.ndarray, np.ndarray]]  # [(W (in, out), b (out,)), ...] per layer

#: The recipes' ids (the checks' parameters), in the order they run.
RECIPES: tuple[str, ...] = ("sgd", "sgd_momentum", "rmsprop", "adam", "deep")
DEEP_RULE = "sgd_momentum"


@dataclass(frozen=True)
class Recipe:
    key: str                  # one of RECIPES
    rule: str                 # the update rule (optim.py's function name)
    hidden: tuple[int, ...]   # FullyConnectedNet's hidden_dims
    lr: float                 # config["learning_rate"]; every other key is the rule's default

    @property
    def trained(self) -> str:
        """What was trained, in the assignment's words (for messages)."""
        return f"FullyConnectedNet({list(self.hidden)}) with your loss and {self.rule}"


def recipe(key: str, cfg: Any) -> Recipe:
    """`key`'s recipe under the rubric's [training] table `cfg`."""
    # Momentum accumulates about 1 / (1 - mu) gradients: the same effective step as sgd's lr.
    momentum_lr = cfg.lr * (1.0 - UPDATE_RULES["sgd_momentum"]["momentum"])
    hidden = tuple(cfg.hidden)
    return {"sgd": Recipe(key, "sgd", hidden, cfg.lr),
            "sgd_momentum": Recipe(key, "sgd_momentum", hidden, momentum_lr),
            "rmsprop": Recipe(key, "rmsprop", hidden, cfg.rmsprop_lr),
            "adam": Recipe(key, "adam", hidden, cfg.adam_lr),
            "deep": Recipe(key, DEEP_RULE, tuple(cfg.deep_hidden), momentum_lr)}[key]


#: Steps whose updates are traced and compared with the rule: enough for its state to act
#: (momentum, cache and Adam's moments and bias correction all show by the second step); each
#: costs a copy of the grads and params (~1.3 MB a step a recipe, held to the end of the run).
TRACED_STEPS = 8


def as_dict(pairs: Pairs) -> R.Params:
    out: R.Params = {}
    for i, (W, b) in enumerate(pairs, start=1):
        out[f"W{i}"], out[f"b{i}"] = W.copy(), b.copy()
    return out


def as_pairs(params: R.Params, depth: int) -> Pairs:
    return [(params[f"W{i}"], params[f"b{i}"]) for i in range(1, depth + 1)]


class LocalNet:
    """The reference net and update rule in the grader's process. Y (N, 10) one-hot."""

    def __init__(self, start: Pairs, rule: str, lr: float) -> None:
        self.depth, self.current, self.rule = len(start), as_dict(start), rule
        self.configs = {k: {**UPDATE_RULES[rule], "learning_rate": lr} for k in self.current}
        self.losses: list[float] = []  # each step's batch loss (the trajectory)

    def step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        loss, grads = R.net_loss(self.current, X[rows], Y[rows].argmax(axis=1), 0.0)
        for k in self.current:
            self.current[k], self.configs[k] = R.update(self.rule, self.current[k], grads[k],
                                                        self.configs[k])
        self.losses.append(loss)
        return loss

    def params(self) -> Pairs:
        return as_pairs(self.current, self.depth)


class StudentNet:
    """The student's FullyConnectedNet and update rule in the worker: one loss call and one
    rule call per parameter each step; params and configs held by the grader between calls.
    Only learning_rate is set: the rule fills in its own defaults, as under the Solver.

    After the traced steps, the params, grads and configs stay in the worker (`kept_step`),
    and so does the training set (its batch's rows taken there): each step sends the rows'
    numbers and labels and gets the loss back, where a traced step sends the params three
    times and gets the grads and params back (~2.4 MB on [64] hidden units, the batch besides).
    Only for a rule whose every traced next_w was already what the grader makes of it (a
    float64 array of the param's shape) and whose every traced loss left the params it was
    given as they were, so that the steps compute what they computed before."""

    def __init__(self, cs231n: CS231n, start: Pairs, rule: str, lr: float) -> None:
        hidden = [W.shape[1] for W, _ in start[:-1]]
        self.cs231n, self.depth, self.rule = cs231n, len(start), rule
        self.net = cs231n.net("FullyConnectedNet", hidden, input_dim=start[0][0].shape[0],
                              num_classes=start[-1][0].shape[1], reg=0.0, weight_scale=1e-2,
                              dtype="float64")
        self.current = as_dict(start)
        self.configs: dict[str, Any] = {k: {"learning_rate": lr} for k in self.current}
        self.losses: list[float] = []  # each step's batch loss (the trajectory)
        # The first TRACED_STEPS steps as (params before, the student's own grads, params
        # after): the update rule is judged on these, apart from the loss and grads.
        self.trace: list[tuple[R.Params, R.Params, R.Params]] = []
        self._traced_last = False  # whether the last step went into the trace
        self.kept: dict[str, Any] | None = None  # each param's next_w in the worker (kept_step)
        # Whether the steps may go on in the worker (kept_step): every traced next_w was a
        # float64 array of its param's shape, and every traced loss left its params as set.
        self._keepable = True

    def step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        # No check asks what a step changed in place (the trace keeps its own copies).
        with self.cs231n.sandbox.unwatched():
            if len(self.trace) >= TRACED_STEPS and self._keepable:
                return self.kept_step(X, Y, rows)
            return self._step(X, Y, rows)

    def _step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        tracing = len(self.trace) < TRACED_STEPS
        # The params before a traced step are the last traced step's params after it: the
        # same arrays, shared rather than copied (a third of the trace's ~25 MB per recipe).
        before = (self.trace[-1][2] if self.trace and self._traced_last
                  else {k: v.copy() for k, v in self.current.items()}) if tracing else {}
        self._traced_last = False  # until this step is in the trace (a step may raise half-way)
        result = self._loss(X, Y, rows) if self._keepable else self._loss_alone(X[rows], Y[rows])
        loss, grads = result[0], result[1]
        # The handout's stub returns (0.0, {}): say what is missing, never a KeyError of ours.
        absent = [k for k in self.current if not isinstance(grads, dict) or k not in grads]
        if absent:
            raise StudentException(f"FullyConnectedNet.loss's grads has no '{absent[0]}': grads is "
                                   "keyed like params, one gradient per parameter",
                                   exc_type="", diagnosis="missing-api")
        if isinstance(grads, dict):
            # A gradient of the wrong shape would trip the update rule (or, broadcast into the
            # parameter, the next loss call): name the loss that made it, not where it tripped.
            problem = D.gradient_shape_problem(
                [("FullyConnectedNet.loss", f"grads['{k}']", f"params['{k}']", grads.get(k), value)
                 for k, value in self.current.items()])
            if problem:
                raise StudentException(f"{problem}. Fix FullyConnectedNet.loss (its backward pass).",
                                       exc_type="", diagnosis="shape-mismatch")
        # Every parameter's rule call in one round trip. The config (velocity, cache, m, v:
        # each as large as the weights) only ever goes back to the rule: it stays in the
        # worker, halving each step's traffic.
        keys = list(self.current)
        updated = self.cs231n.pairs(
            self.rule, [(self.current[k], grads[k], self.configs[k]) for k in keys],
            module=MODULES["optim"], what="(next_w, config)", keep_second=True)
        for k, (next_w, config) in zip(keys, updated):
            self._keepable = self._keepable and (type(next_w) is np.ndarray and (
                next_w.dtype == np.float64 and next_w.shape == self.current[k].shape))
            self.current[k], self.configs[k] = np.asarray(next_w, dtype=np.float64), config
        self._traced_last = tracing and isinstance(grads, dict)
        if self._traced_last:
            self.trace.append((before, {k: np.asarray(grads[k], dtype=np.float64) for k in before},
                               {k: v.copy() for k, v in self.current.items()}))
        self.losses.append(float(loss))
        return float(loss)

    def _loss_alone(self, X: np.ndarray, Y: np.ndarray) -> Any:
        """net.loss(X, y) on the grader's params, as a step has always called it."""
        self.net.set("params", self.current)
        return self.net.call("loss", X, Y.argmax(axis=1))

    def _loss(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> Any:
        """`_loss_alone` on the batch X[rows], taken from the training set kept in the worker
        (a fresh array there, as the one sent was), then the net's params read back in the
        same round trip: a loss that edits them in place would keep its edits in a kept step
        (which sets the worker's own arrays, where this sends copies), so its steps all stay here."""
        plan = self.cs231n.sandbox.plan()
        plan.set(self.net, "params", self.current)
        batch = self.cs231n.training_set.take(plan, X, rows)
        called = plan.method(self.net, "loss", batch, Y[rows].argmax(axis=1))
        after = plan.get(self.net, "params")
        plan.run(lazy=True)
        result = called.value  # the failure of the set or the loss, as the calls alone raised it
        try:
            seen = after.value
        except Exception:  # noqa: BLE001  (unreadable params: the steps stay here, nothing else changes)
            seen = None
        self._keepable = self._keepable and isinstance(seen, dict) and all(
            type(seen.get(k)) is np.ndarray and np.array_equal(seen[k], v) for k, v in self.current.items())
        return result

    def kept_step(self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> float:
        """A step on the batch X[rows] in one round trip with everything but the loss staying
        in the worker: the batch's rows taken from the training set kept there, then the loss
        and each rule call `step` makes, judged as it judges them, in one plan whose rule calls
        take their grads straight from the kept result of the loss."""
        keys = list(self.current)
        params = self.current if self.kept is None else self.kept
        plan = self.cs231n.sandbox.plan()
        plan.set(self.net, "params", dict(params))
        batch = self.cs231n.training_set.take(plan, X, rows)
        out = plan.method_keep(self.net, "loss", batch, Y[rows].argmax(axis=1), keep=(1,))
        rules = [plan.call_keep(MODULES["optim"], self.rule, params[k], out[1][k], self.configs[k],
                                keep=(0, 1)) for k in keys]
        plan.run(lazy=True)
        loss = out.value[0]
        updated = self.cs231n.judged_pairs(self.rule, rules, what="(next_w, config)")
        self.kept = {k: next_w for k, (next_w, _) in zip(keys, updated)}
        self.configs.update({k: config for k, (_, config) in zip(keys, updated)})
        self._traced_last = False
        self.losses.append(float(loss))
        return float(loss)

    def params(self) -> Pairs:
        if self.kept is not None:  # read back through a dict of the grader's own, not the net
            kept = self.cs231n.sandbox.mapping(**self.kept).call("copy")
            self.current = {k: np.asarray(kept[k], dtype=np.float64) for k in self.current}
            self.kept = None
        return as_pairs(self.current, self.depth)
