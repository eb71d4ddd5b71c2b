"""Localise by isolation: which layer of the student's MLP makes the network wrong?

A network check sees only the MLP's logits or dx. When they differ from the reference,
`localise` replays the network layer by layer: it calls each of the student's own layer
objects (in the worker) with the exact arrays that layer receives inside the network -
forward first to last, then backward last to first, as MLP.forward/backward do - and
compares each result with the reference layer on those same arrays. The first layer
that differs is blamed by index, kind and weight shape, and the layer kind's known
signatures (diagnose.py) name the bug. This finds what the component checks can miss: a
missing transpose that only a square W (hidden 64 -> 64) lets through, or a cache shared
between layer objects that only shows when two layers run in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks.framework import diagnosis
from grader.results import Diagnosis
from grader.sandbox import StudentException, UnsupportedValue

ACTIVATION_NAMES = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}


@dataclass(frozen=True)
class Position:
    """Where a layer sits: "Linear 2 of 3, (64, 64) weights" or "ReLU 1 of 2"."""

    kind: str              # "linear" or an activation kind
    index: int             # 1-based among layers of its family (Linear or activation)
    count: int
    shape: tuple[int, ...] | None = None  # W's shape, for a Linear

    def __str__(self) -> str:
        if self.kind == "linear":
            return f"Linear {self.index} of {self.count}, {self.shape} weights"
        return f"{ACTIVATION_NAMES.get(self.kind, self.kind)} {self.index} of {self.count}"


def positions(reference: Sequence[Any], kind: str) -> list[Position]:
    """One Position per layer of `reference` (the reference network, Linear/activation)."""
    linear = [hasattr(layer, "W") for layer in reference]
    n_lin, n_act = sum(linear), len(linear) - sum(linear)
    out, i_lin, i_act = [], 0, 0
    for layer, lin in zip(reference, linear):
        if lin:
            i_lin += 1
            out.append(Position("linear", i_lin, n_lin, tuple(layer.W.shape)))
        else:
            i_act += 1
            out.append(Position(kind, i_act, n_act))
    return out


def _differs(actual: object, expected: np.ndarray) -> bool:
    if not D._numeric(actual) or np.shape(actual) != expected.shape:
        return True
    return G.relative_error(np.asarray(actual, dtype=np.float64), expected) > G.REFERENCE_RTOL


def _at(where: Position, found: Diagnosis | None, fallback_id: str, fallback: str) -> Diagnosis:
    """The layer's signature (or `fallback`) prefixed with where the layer sits."""
    if found is not None:
        return diagnosis(found.id, f"{where}: {found.hint}")
    return diagnosis(fallback_id, f"{where}: {fallback}")


def _forward_blame(where: Position, x: np.ndarray, got: object, want: np.ndarray) -> Diagnosis:
    what = "its forward output"
    if not D._numeric(got) or np.shape(got) != want.shape:
        return diagnosis("shape-mismatch", f"{where}: forward returns shape {np.shape(got)} on the "
                         f"{x.shape} input it receives inside the MLP; it must return {want.shape}")
    found = D.first(
        lambda: D.finite_signature(got, what=what),
        lambda: D.precision_signature(got, want, what=what))
    return _at(where, found, "wrong-forward", f"forward differs from the reference on the "
               f"{x.shape} input it receives inside the MLP")


def _backward_signature(where: Position, kind: str, x: np.ndarray, g: np.ndarray, name: str,
                        got: object, want: np.ndarray, ref_layer: Any,
                        dW: object) -> Diagnosis | None:
    """The known bug of this layer kind that explains `name` (dx, dW or db) = `got` on the
    layer's input x (N, in) and upstream gradient g (N, out)."""
    if not D._numeric(got):
        return None
    if np.shape(got) != want.shape:
        if name == "db":
            return D.bias_gradient_signature(got, g, fan_out=want.shape[0])
        if name == "dW":
            return D.weight_gradient_signature(got, x, g) or D.shape_signature(got, want.shape,
                                                                                  what=name)
        return D.shape_signature(got, want.shape, what=name)
    if where.kind == "linear":
        specific = {
            "dx": lambda: D.linear_dx_signature(got, ref_layer.W, g, dW, what="dx"),
            "dW": lambda: D.weight_gradient_signature(got, x, g),
            "db": lambda: D.bias_gradient_signature(got, g, fan_out=want.shape[0]),
        }[name]
    else:
        specific = lambda: D.first(  # noqa: E731
            lambda: D.activation_overflow_signature(kind, x, got, what="backward"),
            lambda: D.activation_backward_signature(kind, x, g, got))
    return D.first(specific,
                   lambda: D.finite_signature(got, what=name, diagnosis_id="wrong-gradient"),
                   lambda: D.precision_signature(got, want, what=name),
                   lambda: D.scale_signature(got, want, what=name, n=g.shape[0]))


def _alone(layer: Any, ref_layer: Any, x: np.ndarray, g: np.ndarray) -> bool:
    """Is the layer right when run on its own (a fresh forward on x, then backward on g)?
    Compares dx and, for a Linear, dW and db; `ref_layer` last ran forward on x."""
    try:
        layer.call("forward", x.copy())
        got = [layer.call("backward", g.copy())]
        want = [ref_layer.backward(g)]
        if hasattr(ref_layer, "W"):
            got += [layer.get("dW"), layer.get("db")]
            want += [ref_layer.dW, ref_layer.db]
    except (StudentException, UnsupportedValue):
        return False
    return not any(_differs(a, e) for a, e in zip(got, want))


def shared_state(where: Position, name: str, how: str) -> Diagnosis:
    """Right alone, wrong after the other layers ran: state shared between layer objects."""
    return diagnosis("wrong-gradient", f"{where}: its {name} {how} inside the network but is right "
                     "when the layer runs alone: it keeps its forward cache where another layer "
                     "overwrites it (a class attribute such as ClassName.x = ..., or a global); "
                     "store what backward needs on self")


def localise(layers: Sequence[Any], reference: Sequence[Any], x: np.ndarray, grad_out: np.ndarray,
             kind: str) -> Diagnosis | None:
    """The first of the student's `layers` (RemoteObjects, in MLP order) that differs from its
    `reference` twin (reference layers with the same W and b) on the arrays it receives inside
    the network; None when every layer agrees (the composition in MLP itself is then at fault)
    or when the replay cannot run (the network checks report that themselves).

    x: (N, sizes[0]) the network's input; grad_out: (N, sizes[-1]) the gradient at its logits.
    """
    where = positions(reference, kind)
    if len(layers) != len(reference):
        return None
    try:
        inputs: list[np.ndarray] = []
        h = np.asarray(x, dtype=np.float64)
        for layer, ref_layer, at in zip(layers, reference, where):
            inputs.append(h)
            got = layer.call("forward", h.copy())
            want = ref_layer.forward(h)
            if _differs(got, want):
                return _forward_blame(at, h, got, want)
            h = np.asarray(got, dtype=np.float64)
        g = np.asarray(grad_out, dtype=np.float64)
        for i in reversed(range(len(layers))):
            layer, ref_layer, at = layers[i], reference[i], where[i]
            want = ref_layer.backward(g)
            try:
                got = layer.call("backward", g.copy())
            except (StudentException, UnsupportedValue) as exc:
                if _alone(layer, ref_layer, inputs[i], g):
                    return shared_state(at, "backward", "raises "
                                        f"{getattr(exc, 'exc_type', type(exc).__name__)}")
                raise
            checks = [("dx", got, want)]
            dW = None
            if at.kind == "linear":
                dW = layer.get("dW", None)
                checks += [("dW", dW, ref_layer.dW),
                           ("db", layer.get("db", None), ref_layer.db)]
            for name, value, expected in checks:
                if not _differs(value, expected):
                    continue
                if value is None:
                    return diagnosis("wrong-gradient", f"{at}: backward does not set {name}")
                if _alone(layer, ref_layer, inputs[i], g):
                    return shared_state(at, name, "is wrong")
                found = _backward_signature(at, kind, inputs[i], g, name, value, expected,
                                            ref_layer, dW)
                return _at(at, found, "wrong-gradient", f"{name} differs from the reference on "
                           "the arrays it receives inside the MLP")
            g = np.asarray(got, dtype=np.float64)
    except (StudentException, UnsupportedValue):
        return None
    return None
