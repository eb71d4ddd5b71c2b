"""Checks of network.MLP: the layer structure, forward and backward against the reference
composed with the same weights, numerical gradients, predict, batch independence and
reproducible initialisation; every value check runs for each activation.

The grader sets every Linear's W and b itself (random, fan-in scaled), so these
checks do not depend on the student's initialisation; the activation layers
are identified by what they compute, not by their class names.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, diagnosis, fail, tags, title
from grader.checks.localise import localise
from grader.results import Diagnosis
from grader.sandbox import Rng
from reference import layers as ref_layers
from reference import losses as ref_losses

ACTIVATIONS = ("relu", "sigmoid", "tanh")
REFERENCE_ACTS = {"relu": ref_layers.ReLU, "sigmoid": ref_layers.Sigmoid, "tanh": ref_layers.Tanh}
SHOWN = {kind: layer.__name__ for kind, layer in REFERENCE_ACTS.items()}  # titles say "ReLU", ids "relu"
PROBE = np.array([[-2.0, -0.5, 0.25, 1.5], [3.0, -1.0, 0.5, -0.125]])


def _apply(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "softmax":
        return ref_losses.softmax(x)
    if kind == "identity":
        return x
    return REFERENCE_ACTS[kind]().forward(x)


def identify(layer) -> str:
    """What an activation layer computes: relu/sigmoid/tanh/softmax/identity, or 'unknown'."""
    out = layer.call("forward", PROBE.copy())
    for kind in ("relu", "sigmoid", "tanh", "softmax", "identity"):
        if D.matches(out, _apply(kind, PROBE)):
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
        self.is_linear = [self._is_linear(layer) for layer in self.layers]
        self.linears = [layer for layer, lin in zip(self.layers, self.is_linear) if lin]

    @staticmethod
    def _is_linear(layer) -> bool:
        return hasattr(layer, "has") and layer.has("W")

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
    grader.checks.localise): the first layer that differs on the arrays it receives inside
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


def forward_signature(kind: str, params, x: np.ndarray, out: np.ndarray):
    def other_activation():
        for other in ACTIVATIONS:
            if other != kind and D.matches(out, ref_forward(reference_mlp(other, params), x)):
                return diagnosis("ignores-hyperparameters", f"MLP(..., activation='{kind}') computes "
                                 f"{other} activations: honour the activation argument")
        return None

    logits = ref_forward(reference_mlp(kind, params), x)
    return D.first(
        lambda: diagnosis("double-softmax", "MLP.forward returns probabilities (rows sum to 1): "
                          "return the raw logits of the last Linear; the loss applies softmax")
        if out.shape[1] > 1 and np.allclose(out.sum(axis=1), 1.0, atol=1e-9) else None,
        lambda: other_activation(),
        lambda: diagnosis("wrong-forward", "MLP.forward applies an activation after the last "
                          "Linear: return that layer's output (the logits) unchanged")
        if D.matches(out, _apply(kind, logits)) else None,
        lambda: D.batch_dependence_diagnosis(what="MLP.forward") if x.shape[0] > 1 and D.matches(
            out, ref_forward(reference_mlp(kind, params), x - x.mean(axis=0))) else None,
    )


@title("MLP with {kind}: layers and weight shapes as asked", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
def test_structure(student, grading_seed, kind):
    """MLP([5, 7, 6, 3], activation) has layers Linear, act, Linear, act, Linear with W of
    shapes (5, 7), (7, 6), (6, 3), and the activation asked for."""
    Structure(student, [5, 7, 6, 3], kind, seed=grading_seed).validate()


@title("MLP with {kind}: forward composes its layers", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.32))
@given(case=S.mlp_cases())
def test_forward(student, kind, case):
    """MLP.forward equals Linear, act, ..., Linear composed with the same weights (raw logits)."""
    net, params = built(student, case, kind)
    with localised(net, kind, params, case.x, case.grad_out):
        check_mlp_forward(net, kind, params, case.x)


def check_mlp_forward(net: Structure, kind: str, params, x: np.ndarray) -> None:
    """The student's MLP.forward(x) (x: (N, sizes[0])) against the reference network."""
    out = net.mlp.call("forward", x)
    expected = ref_forward(reference_mlp(kind, params), x)
    out = D.require_array(out, expected.shape, what="MLP.forward's output")
    if not G.close(out, expected):
        raise D.mismatch("wrong-forward", "MLP.forward differs from its layers applied in order",
                         actual=out, expected=expected,
                         found=forward_signature(kind, params, x, out))


def check_mlp_gradients(net: Structure, params, dx, expected_dx, expected_params, *,
                        against: str, rtol: float, before_first: np.ndarray | None = None,
                        read=None) -> None:
    """`read(i, name)`: Linear i's dW or db (None when not set); default: read now."""
    read = read or (lambda i, name: net.linears[i].get(name, None))
    if before_first is not None and dx is not None and D._numeric(dx) and (
            np.shape(dx) != expected_dx.shape or
            G.relative_error(dx, expected_dx) > rtol) and D.matches(dx, before_first):
        fail("wrong-gradient", "MLP.backward returns the gradient at the first Linear's output: it "
             "stops before the first layer; run backward through every layer, last to first")
    dx = D.require_array(dx, expected_dx.shape, what="MLP.backward's return value")
    if G.relative_error(dx, expected_dx) > rtol:
        raise D.mismatch("wrong-gradient", f"MLP.backward's dx differs from {against}",
                         actual=dx, expected=expected_dx,
                         found=D.scale_signature(dx, expected_dx, what="MLP.backward's dx"))
    count = len(net.linears)
    for i, (ref_dW, ref_db) in enumerate(expected_params[:count]):
        for name, want in (("dW", ref_dW), ("db", ref_db)):
            got = read(i, name)
            what = f"Linear {i + 1} of {count}'s {name}"
            if got is None:
                fail("wrong-gradient", f"after MLP.backward, {what} is not set: backward must run "
                     "through every layer, last to first")
            got = D.require_array(got, want.shape, what=what)
            if G.relative_error(got, want) > rtol:
                found = D.first(
                    lambda: diagnosis("wrong-gradient", f"MLP.backward does not fill {what}: call "
                                      "backward on every layer, last to first")
                    if not np.any(got) else None,
                    lambda: D.scale_signature(got, want, what=what))
                raise D.mismatch("wrong-gradient", f"after MLP.backward, {what} differs from "
                                 f"{against}", actual=got, expected=want, found=found)


@title("MLP with {kind}: backward fills every dW and db", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.4))
@given(case=S.mlp_cases())
def test_backward(student, kind, case):
    """MLP.backward returns d/dx and fills every Linear's dW and db, equal to the reference
    network's with the same weights."""
    net, params = built(student, case, kind)
    pre: list = []
    ref_forward(reference_mlp(kind, params), case.x, pre_activations=pre)
    if kind == "relu":
        assume(all(np.min(np.abs(z)) > 1e-6 for z in pre[:-1]))
    with localised(net, kind, params, case.x, case.grad_out):
        check_mlp_backward(net, kind, params, case.x, case.grad_out)


@title("MLP with {kind}: backward matches numerical gradients", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.16))
@given(case=S.mlp_cases(max_batch=3, max_width=5), seed=st.integers(0, 2**16))
def test_gradient_numerical(student, kind, case, seed):
    """MLP.backward agrees with central differences of the student's own MLP.forward: J^T v
    for x in full, and for all weights along random directions."""
    net, params = built(student, case, kind)
    pre: list = []
    ref_forward(reference_mlp(kind, params), case.x, pre_activations=pre)
    if kind == "relu":  # keep every hidden unit away from the kink at 0
        assume(all(np.min(np.abs(z)) > 1e-3 for z in pre[:-1]))
    with localised(net, kind, params, case.x, case.grad_out):
        check_mlp_numerical(net, params, case, seed)


def check_mlp_numerical(net: Structure, params, case: S.MLPCase, seed: int) -> None:
    """MLP.backward against central differences of the student's own MLP.forward."""
    kind = net.kind
    v = case.grad_out
    forward = lambda xs: net.mlp.call_each("forward", [(x_,) for x_ in xs])  # noqa: E731
    num_dx = G.numeric_vjp_each(forward, case.x, v)
    (_, dx), _ = net.mlp.calls_then_reads([("forward", (case.x,)), ("backward", (v,))])
    dx = D.require_array(dx, case.x.shape, what="MLP.backward's return value")
    if G.relative_error(dx, num_dx) > G.NUMERIC_RTOL:
        ref = reference_mlp(kind, params)
        ref_forward(ref, case.x)
        found = D.forward_is_the_problem(dx, ref_backward(ref, v), what="MLP")
        if found is not None:
            raise CheckFailure(found)
        raise D.mismatch("wrong-gradient", "MLP.backward's dx disagrees with the numerical gradient "
                         "of your own MLP.forward", actual=dx, expected=num_dx,
                         found=D.scale_signature(dx, num_dx, what="MLP.backward's dx"))
    plan = net.mlp.plan()  # every layer's dW and db in one round trip, judged in order
    reads = [(plan.get(layer, "dW"), plan.get(layer, "db")) for layer in net.linears]
    plan.run(lazy=True)
    grads = []
    for i, (dW, db) in enumerate(reads):
        grads.append((D.require_array(dW.value, params[i][0].shape, what=f"Linear {i + 1}'s dW"),
                      D.require_array(db.value, params[i][1].shape, what=f"Linear {i + 1}'s db")))
    rng = np.random.default_rng(seed)
    for _ in range(2):
        directions = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]

        def shifted(ts: tuple[float, ...]) -> list[np.ndarray]:
            """The weights moved by t along the directions, then forward, for each t: one plan."""
            plan = net.mlp.plan()
            outs = []
            for t in ts:
                for layer, (W, b), (dW_dir, db_dir) in zip(net.linears, params, directions):
                    plan.set(layer, "W", W + t * dW_dir)
                    plan.set(layer, "b", b + t * db_dir)
                outs.append(plan.method(net.mlp.remote, "forward", case.x))
            plan.run(lazy=True)
            with D.shape_errors("MLP.forward"):
                return [np.asarray(out.value, dtype=np.float64) for out in outs]

        eps = G.EPS
        plus, minus, _ = shifted((eps, -eps, 0.0))
        numeric = float(np.sum(v * (plus - minus)) / (2 * eps))
        analytic = sum(float(np.sum(dW * dW_dir) + np.sum(db * db_dir))
                       for (dW, db), (dW_dir, db_dir) in zip(grads, directions))
        scale = max(abs(numeric), abs(analytic),
                    G.max_abs(np.concatenate([np.ravel(g) for pair in grads for g in pair])), 1e-8)
        if abs(numeric - analytic) / scale > 1e-5:
            raise CheckFailure(diagnosis(
                "wrong-gradient", "the dW/db that MLP.backward leaves in its Linear layers disagree "
                "with the numerical gradient of your own MLP.forward"),
                message=("the dW/db that MLP.backward leaves in its Linear layers disagree with the "
                         f"numerical gradient of MLP.forward along a random direction: "
                         f"{analytic:.6g} vs numerical {numeric:.6g}"))


@title("MLP with {kind}: predict is the argmax of the logits", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.16))
@given(case=S.mlp_cases(min_batch=2))
def test_predict(student, kind, case):
    """predict(x) = argmax of the logits per row: (N,) integers."""
    net, params = built(student, case, kind)
    logits = ref_forward(reference_mlp(kind, params), case.x)
    got = net.mlp.call("predict", case.x)
    expected = np.argmax(logits, axis=1)
    if got is not None and D._numeric(got) and np.asarray(got).shape == expected.shape and \
            np.asarray(got).dtype.kind == "f":
        probs = ref_losses.softmax(logits)
        if D.matches(got, probs.max(axis=1)) or D.matches(got, logits.max(axis=1)):
            fail("wrong-forward", "MLP.predict returns the largest probability (or logit) of each "
                 "row; it must return its index, the class label: np.argmax(logits, axis=1)")
    got = D.require_array(got, expected.shape, what="MLP.predict's output", kinds="i")
    if not np.array_equal(got, expected):
        raise D.mismatch("wrong-forward", "MLP.predict differs from np.argmax(forward(x), axis=1)",
                         actual=got, expected=expected)


@title("MLP with {kind}: a sample's logits ignore its batch", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.16))
@given(case=S.mlp_cases(min_batch=2), data=st.data())
def test_batch_independence(student, kind, case, data):
    """One sample's logits do not depend on the other samples in its batch."""
    net, params = built(student, case, kind)
    out = D.require_array(net.mlp.call("forward", case.x), (case.x.shape[0], case.sizes[-1]),
                          what="MLP.forward's output")
    others = data.draw(S.arrays(shape=case.x.shape, bound=2.0), label="batch mates")
    others[0] = case.x[0]
    changed = np.asarray(net.mlp.call("forward", others), dtype=np.float64)
    if out.shape != changed.shape or not G.close(changed[0], out[0]):
        raise D.mismatch("batch-dependence", "", actual=changed[0] if changed.ndim else changed,
                         expected=out[0] if out.ndim else out,
                         found=D.batch_dependence_diagnosis(what="MLP.forward"))


@title("MLP with {kind}: the same seed gives the same weights", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
def test_init_reproducible(student, grading_seed, kind):
    """MLP(sizes, rng=default_rng(s)) twice gives the same weights; another seed, different ones."""
    sizes = [6, 8, 7, 4]

    def weights(seed: int) -> list[np.ndarray]:
        net = Structure(student, sizes, kind, seed=seed)
        return [np.asarray(layer.get("W"), dtype=np.float64) for layer in net.linears]

    first, again, other = weights(grading_seed), weights(grading_seed), weights(grading_seed + 1)
    if len(first) != len(sizes) - 1:
        fail("wrong-forward", f"MLP({sizes}) has {len(first)} Linear layers; it needs {len(sizes) - 1}")
    if any(not np.array_equal(a, b) for a, b in zip(first, again)):
        fail("nondeterministic", "MLP(sizes, rng=np.random.default_rng(seed)) gives different weights "
             "for the same seed: pass the rng argument on to every Linear")
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        fail("nondeterministic", "MLP gives the same weights for different rng seeds: it ignores "
             "the rng argument; pass it on to every Linear")


@title("MLP with {kind}: forward and backward keep inputs", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
@settings(max_examples=S.examples(0.16))
@given(case=S.mlp_cases())
def test_inputs_unchanged(student, kind, case):
    """MLP.forward leaves x unchanged and MLP.backward leaves grad_logits unchanged."""
    net, params = built(student, case, kind)
    D.call_watched(net.mlp, "forward", case.x, what="MLP.forward")
    D.call_watched(net.mlp, "backward", case.grad_out, what="MLP.backward")


def check_mlp_backward(net: Structure, kind: str, params, x: np.ndarray,
                       grad_out: np.ndarray) -> None:
    """The student's MLP.forward(x) then backward(grad_out) against the reference network:
    dx (N, sizes[0]) and every Linear's dW and db."""
    # One round trip: forward, backward and the gradients they leave (read ahead: the
    # checks below judge them in the same order, and a failure is raised where it is read).
    plan = net.mlp.plan()
    steps = [plan.method(net.mlp.remote, "forward", x), plan.method(net.mlp.remote, "backward", grad_out)]
    grads = [{name: plan.get(layer, name, None) for name in ("dW", "db")} for layer in net.linears]
    plan.run(lazy=True)
    for step, method in zip(steps, ("forward", "backward")):
        with D.shape_errors(f"MLP.{method}"):
            dx = step.value
    ref = reference_mlp(kind, params)
    ref_forward(ref, x)
    before_first = ref_backward(ref[1:], grad_out)
    ref_dx = ref[0].backward(before_first)
    expected = [(layer.dW, layer.db) for layer in ref if isinstance(layer, ref_layers.Linear)]
    check_mlp_gradients(net, params, dx, ref_dx, expected, against="the reference",
                        rtol=G.REFERENCE_RTOL, before_first=before_first,
                        read=lambda i, name: grads[i][name].value)


#: Hidden widths equal, as in a course's 784-64-64-10 network: the middle W is square.
SQUARE_SIZES = [12, 64, 64, 10]


@title("MLP with {kind}: backward with a square (64, 64) layer", kind=SHOWN)
@tags("mlp")
@pytest.mark.parametrize("kind", ACTIVATIONS, ids=list(ACTIVATIONS))
def test_backward_square_hidden(student, grading_seed, kind):
    """MLP([12, 64, 64, 10]) forward and backward equal the reference's: a square W lets a
    missing transpose through every shape check, so only the values can catch it."""
    case = fixed_case(SQUARE_SIZES, grading_seed)
    net, params = built(student, case, kind)
    with localised(net, kind, params, case.x, case.grad_out):
        check_mlp_forward(net, kind, params, case.x)
        check_mlp_backward(net, kind, params, case.x, case.grad_out)


def fixed_case(sizes: list[int], seed: int, n: int = 16) -> S.MLPCase:
    """x (n, sizes[0]) in [-2, 2] and grad_out (n, sizes[-1]) in [-1, 1], fixed by `seed`."""
    rng = np.random.default_rng(seed)
    return S.MLPCase(list(sizes), rng.uniform(-2.0, 2.0, (n, sizes[0])),
                     rng.uniform(-1.0, 1.0, (n, sizes[-1])), seed)


def localise_network(student, sizes: list[int], kind: str, seed: int) -> Diagnosis | None:
    """The layer to blame in the student's MLP(sizes) (grader.checks.localise) on a batch
    fixed by `seed`, for checks that see only the whole network (training); None when every
    layer agrees. Raises CheckFailure when the layer list breaks the contract."""
    case = fixed_case(sizes, seed)
    net, params = built(student, case, kind)
    return localise(net.layers, reference_mlp(kind, params), case.x, case.grad_out, kind)
