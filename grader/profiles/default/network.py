"""The student's MLP as the default profile's checks see it, beside the reference MLP built
with the same weights, and the layer to blame when the whole network differs.

`Structure` validates MLP(sizes).layers against the contract (Linear, activation, ...,
Linear, activations identified by what they compute); `built` makes a network with the
grader's own weights; `localised` re-examines a network failure layer by layer
(localise.py beside this file). Used by checks/test_mlp.py and checks/test_training.py
(which sees only a trained network: `localise_network`).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from grader.checks import diagnose as D
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, fail
from grader.profiles.default.localise import localise
from grader.results import Diagnosis
from grader.sandbox import Rng
from grader.sandbox.plan import with_attributes
from reference import layers as ref_layers
from reference import losses as ref_losses

ACTIVATIONS = ("relu", "sigmoid", "tanh")
REFERENCE_ACTS = {"relu": ref_layers.ReLU, "sigmoid": ref_layers.Sigmoid, "tanh": ref_layers.Tanh}
SHOWN = {kind: layer.__name__ for kind, layer in REFERENCE_ACTS.items()}  # titles say "ReLU", ids "relu"
PROBE = np.array([[-2.0, -0.5, 0.25, 1.5], [3.0, -1.0, 0.5, -0.125]])


def apply_activation(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "softmax":
        return ref_losses.softmax(x)
    if kind == "identity":
        return x
    return REFERENCE_ACTS[kind]().forward(x)


def identify(layer) -> str:
    """What an activation layer computes: relu/sigmoid/tanh/softmax/identity, or 'unknown'."""
    out = layer.call("forward", PROBE.copy())
    for kind in ("relu", "sigmoid", "tanh", "softmax", "identity"):
        if D.matches(out, apply_activation(kind, PROBE)):
            return kind
    return "unknown"


class Structure:
    """The student's MLP as the grader sees it: its layers, split into Linear-like (with W)
    and activation layers, validated against the contract."""

    def __init__(self, student, sizes: list[int], kind: str, seed: int = 0) -> None:
        self.sizes, self.kind = sizes, kind
        self.mlp = D.Guarded(
            student.new("network", "MLP", list(sizes), activation=kind, rng=Rng(seed)), "MLP")
        layers = self.mlp.get("layers")
        if not isinstance(layers, (list, tuple)):
            fail("missing-api", f"MLP.layers is a {type(layers).__name__}; it must be a list of "
                 "layers: Linear, activation, ..., Linear")
        self.layers = list(layers)
        with_W = {id(layer) for layer in with_attributes(self.layers, "W")}
        self.is_linear = [id(layer) in with_W for layer in self.layers]
        self.linears = [layer for layer, lin in zip(self.layers, self.is_linear) if lin]

    def validate(self) -> None:
        sizes, kind = self.sizes, self.kind
        n_linear = len(sizes) - 1
        described = ", ".join("Linear" if lin else "activation" for lin in self.is_linear)
        if len(self.linears) != n_linear:
            fail("wrong-forward", f"MLP({sizes}) has {len(self.linears)} Linear layers ({described}); "
                 f"it needs {n_linear}, one per consecutive pair of sizes")
        for i, layer in enumerate(self.linears):
            W = layer.get("W")
            shape = (sizes[i], sizes[i + 1])
            D.require_array(W, shape, what=f"MLP({sizes}) Linear {i + 1}'s W")
        if not self.is_linear[0]:
            fail("wrong-forward", f"MLP.layers starts with an activation ({described}); the first "
                 "layer must be a Linear")
        if not self.is_linear[-1]:
            trailing = identify(self.layers[-1])
            if trailing == "softmax":
                fail("double-softmax", "MLP applies softmax after the last Linear: forward must "
                     "return raw logits; SoftmaxCrossEntropy applies softmax itself")
            fail("wrong-forward", f"MLP.layers ends with an activation ({trailing}) after the last "
                 "Linear: the network must end with a Linear that returns raw logits")
        expected_pattern = []
        for i in range(n_linear):
            expected_pattern.append(True)
            if i < n_linear - 1:
                expected_pattern.append(False)
        if self.is_linear != expected_pattern:
            fail("wrong-forward", f"MLP.layers is [{described}]; the contract is Linear, activation, "
                 "..., Linear: one activation between consecutive Linear layers")
        found = [identify(layer) for layer, lin in zip(self.layers, self.is_linear) if not lin]
        if any(f != kind for f in found):
            if all(f == "relu" for f in found) or len(set(found)) == 1 and found[0] != kind:
                fail("ignores-hyperparameters", f"MLP(..., activation='{kind}') builds {found[0]} "
                     f"activations: honour the activation argument ('relu', 'sigmoid', 'tanh')")
            fail("wrong-forward", f"MLP(..., activation='{kind}') has activation layers computing "
                 f"{found}; every one must be {kind}")

    def set_weights(self, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        params = []
        for i, layer in enumerate(self.linears):
            fan_in, fan_out = self.sizes[i], self.sizes[i + 1]
            W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            b = rng.uniform(-0.5, 0.5, fan_out)
            layer.set("W", W.copy())
            layer.set("b", b.copy())
            params.append((W, b))
        return params


def reference_mlp(kind: str, params, *, trailing: str | None = None) -> list:
    layers: list = []
    for i, (W, b) in enumerate(params):
        lin = ref_layers.Linear(W.shape[0], W.shape[1], rng=np.random.default_rng(0))
        lin.W, lin.b = W.copy(), b.copy()
        layers.append(lin)
        if i < len(params) - 1:
            layers.append(REFERENCE_ACTS[kind]())
    return layers


def ref_forward(layers: list, x: np.ndarray, *, pre_activations: list | None = None) -> np.ndarray:
    for layer in layers:
        x = layer.forward(x)
        if pre_activations is not None and isinstance(layer, ref_layers.Linear):
            pre_activations.append(x)
    return x


def ref_backward(layers: list, g: np.ndarray) -> np.ndarray:
    for layer in reversed(layers):
        g = layer.backward(g)
    return g


class Quick(Structure):
    """The structure without the per-layer probing of `validate` (test_structure does that):
    Linear layers are taken at the even positions of a list of the contract's length."""

    def __init__(self, student, sizes: list[int], kind: str, seed: int = 0) -> None:
        self.sizes, self.kind = sizes, kind
        plan = student.sandbox.plan()  # one round trip for the two
        mlp = plan.new("network", "MLP", list(sizes), activation=kind, rng=Rng(seed))
        read = plan.get(mlp, "layers")
        plan.run()
        self.mlp = D.Guarded(mlp.value, "MLP")
        layers = read.value
        expected = 2 * (len(sizes) - 1) - 1
        if not isinstance(layers, (list, tuple)) or len(layers) != expected:
            count = len(layers) if isinstance(layers, (list, tuple)) else type(layers).__name__
            fail("wrong-forward", f"MLP({sizes}).layers has {count} entries; the contract is Linear, "
                 f"activation, ..., Linear: {expected} layers (see the structure check)")
        self.layers = list(layers)
        self.linears = self.layers[::2]
        self.is_linear = [i % 2 == 0 for i in range(len(self.layers))]


def built(student, case: S.MLPCase, kind: str) -> tuple[Structure, list]:
    net = Quick(student, case.sizes, kind, seed=case.seed)
    return net, net.set_weights(case.seed)


#: Network-level diagnoses that only say "differs": a layer replay may name the bug instead.
UNEXPLAINED = frozenset({"wrong-forward", "wrong-gradient", "gradient-scale", "shape-mismatch"})


@contextlib.contextmanager
def localised(net: Structure, kind: str, params, x: np.ndarray,
              grad_out: np.ndarray) -> Iterator[None]:
    """A network failure that names no specific bug is re-examined layer by layer (see
    localise.py): the first layer that differs on the arrays it receives inside
    the network is blamed first, the network-level finding kept after it.

    x: (N, sizes[0]); grad_out: (N, sizes[-1])."""
    try:
        yield
    except CheckFailure as exc:
        if exc.diagnoses[0].id not in UNEXPLAINED or not _reported_example():
            raise
        blamed = localise(net.layers, reference_mlp(kind, params), x, grad_out, kind)
        if blamed is None:
            raise
        raise CheckFailure(blamed, *exc.diagnoses, message=f"{blamed.hint}\n{exc.message}",
                           output=exc.output) from None


def _reported_example() -> bool:
    """Outside Hypothesis, or its final replay of the example it reports: replaying the layers
    for every example tried while shrinking would only multiply the sandbox calls."""
    try:
        return current_build_context().is_final
    except InvalidArgument:  # no Hypothesis test running
        return True


def fixed_case(sizes: list[int], seed: int, n: int = 16) -> S.MLPCase:
    """x (n, sizes[0]) in [-2, 2] and grad_out (n, sizes[-1]) in [-1, 1], fixed by `seed`."""
    rng = np.random.default_rng(seed)
    return S.MLPCase(list(sizes), rng.uniform(-2.0, 2.0, (n, sizes[0])),
                     rng.uniform(-1.0, 1.0, (n, sizes[-1])), seed)


def localise_network(student, sizes: list[int], kind: str, seed: int) -> Diagnosis | None:
    """The layer to blame in the student's MLP(sizes) (localise.py) on a batch
    fixed by `seed`, for checks that see only the whole network (training); None when every
    layer agrees. Raises CheckFailure when the layer list breaks the contract."""
    case = fixed_case(sizes, seed)
    net, params = built(student, case, kind)
    return localise(net.layers, reference_mlp(kind, params), case.x, case.grad_out, kind)
