"""Checks of network.MLP: the layer structure, forward and backward against the reference
composed with the same weights, numerical gradients, predict, batch independence and
reproducible initialisation; every value check runs for each activation.

The grader sets every Linear's W and b itself (random, fan-in scaled), so these
checks do not depend on the student's initialisation; the activation layers
are identified by what they compute, not by their class names.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, diagnosis, fail, tags, title
from grader.profiles.default.network import (ACTIVATIONS, SHOWN, Structure, apply_activation, built, fixed_case,
                                             localised, ref_backward, ref_forward, reference_mlp)
from reference import layers as ref_layers
from reference import losses as ref_losses


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
        if D.matches(out, apply_activation(kind, logits)) else None,
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
@S.share(0.32)
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
@S.share(0.4)
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
@S.share(0.16)
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
        numeric = G.central_difference(plus, minus, v, eps)
        analytic = sum(float(np.sum(dW * dW_dir) + np.sum(db * db_dir))
                       for (dW, db), (dW_dir, db_dir) in zip(grads, directions))
        # The forward's terms: x times weights moved along the directions (G.difference_roundoff).
        terms = max([G.max_abs(case.x)] + [G.max_abs(a) for pair in params for a in pair])
        scale = max(abs(numeric), abs(analytic),
                    G.max_abs(np.concatenate([np.ravel(g) for pair in grads for g in pair])), 1e-8,
                    G.difference_roundoff(plus, minus, v, terms) / G.NUMERIC_RTOL)
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
@S.share(0.16)
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
@S.share(0.16)
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
        plan = net.mlp.remote.plan()  # every W in one round trip
        steps = plan.gets(net.linears, "W")
        plan.run()
        return [np.asarray(W.value, dtype=np.float64) for (W,) in steps]

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
@S.share(0.16)
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
