"""CS231n classifiers/fc_net.py: TwoLayerNet and FullyConnectedNet.

The grader builds the student's net, replaces its params by its own float64 values (the net
is built with dtype "float64" so nothing is cast to float32), and compares scores, loss and
every gradient with reference.py and with central differences of the student's own loss.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.mytorch_hw1p1.checking import expect_close


@st.composite
def net_cases(draw: st.DrawFn, *, max_depth: int = 3, max_width: int = 4):
    """(dims: input, hidden..., classes; params; X (N, D); y (N,); reg)."""
    hidden = draw(st.lists(st.integers(2, max_width), min_size=1, max_size=max_depth - 1))
    dims = [draw(st.integers(2, max_width)), *hidden, draw(st.integers(2, 4))]
    rng = S.generator(draw(S.SEEDS))
    params = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(0, 0.7, (a, b)), rng.normal(0, 0.3, b)
    n = draw(st.integers(1, 4))
    X, y = rng.normal(0, 1, (n, dims[0])), rng.integers(0, dims[-1], n)
    reg = draw(st.sampled_from([0.0, 0.7]))
    return dims, params, X, y, reg


def build(cs231n, cls: str, dims: list[int], reg: float):
    if cls == "TwoLayerNet":
        return cs231n.net(cls, input_dim=dims[0], hidden_dim=dims[1], num_classes=dims[2],
                          weight_scale=1e-2, reg=reg)
    return cs231n.net(cls, dims[1:-1], input_dim=dims[0], num_classes=dims[-1], reg=reg,
                      weight_scale=1e-2, dtype="float64")


def student_loss(net, params: R.Params, X: np.ndarray, y: np.ndarray | None):
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net.call("loss", X, y)


def check_params(net, dims: list[int], cls: str) -> None:
    """params holds W1..WL (in, out) and b1..bL (out,) and nothing else (no normalisation)."""
    params = net.get("params")
    if not isinstance(params, dict):
        fail("missing-api", f"{cls}.params must be a dict of arrays")
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        for name, shape in ((f"W{i}", (a, b)), (f"b{i}", (b,))):
            if name not in params:
                fail("missing-api", f"{cls}.params has no '{name}' (keys {sorted(params)}): "
                     "weights W1..WL (in, out) and biases b1..bL (out,)")
            D.require_array(params[name], shape, what=f"{cls}.params['{name}']")


def check_loss_and_grads(cs231n, cls: str, case) -> None:
    dims, params, X, y, reg = case
    net = build(cs231n, cls, dims, reg)
    check_params(net, dims, cls)
    scores = student_loss(net, params, X, None)
    expect_close(scores, R.net_loss(params, X, None, reg), what=f"{cls}.loss(X)'s scores",
                 formula="affine - relu - ... - affine, no softmax", diagnosis_id="wrong-forward")
    result = student_loss(net, params, X, y)
    if type(result) is not list or len(result) != 2 or not isinstance(result[1], dict):
        fail("missing-api", f"{cls}.loss(X, y) must return (loss, grads) with grads a dict")
    loss, grads = cs231n.scalar(result[0], what=f"{cls}'s loss"), result[1]
    want_loss, want_grads = R.net_loss(params, X, y, reg)
    penalty = sum(0.5 * reg * float(np.sum(params[k] ** 2)) for k in params if k.startswith("W"))
    if not D.matches(loss, want_loss, rtol=1e-8):
        if reg and D.matches(loss, want_loss - penalty, rtol=1e-8):
            fail("regularization", f"{cls}'s loss leaves out the regulariser 0.5 * reg * sum(W**2)")
        if reg and any(D.matches(loss, want_loss + c * penalty, rtol=1e-8) for c in (1.0, -0.5)):
            fail("regularization", f"{cls}'s loss has the regulariser with the wrong factor: it is "
                 "0.5 * reg * sum(W**2) over the weights only")
        expect_close(np.asarray(loss), np.asarray(want_loss), what=f"{cls}'s loss",
                     formula="mean softmax loss + 0.5 * reg * sum(W**2)", diagnosis_id="wrong-forward")
    for name, want in want_grads.items():
        if name not in grads:
            fail("missing-api", f"{cls}'s grads has no '{name}': grads is keyed like params")
        got = D.require_array(grads[name], want.shape, what=f"{cls}'s grads['{name}']")
        if name.startswith("W") and reg and not D.matches(got, want, rtol=1e-8):
            for c, how in ((0.0, "leaves out"), (2.0, "doubles"), (0.5, "halves")):
                if D.matches(got, want + (c - 1.0) * reg * params[name], rtol=1e-8):
                    fail("regularization", f"{cls}'s grads['{name}'] {how} the regulariser's "
                         "gradient reg * W")
        expect_close(got, want, what=f"{cls}'s grads['{name}']", n=X.shape[0],
                     formula="backpropagation through affine - relu - ... - softmax_loss")


def check_numerical(cs231n, cls: str, case) -> None:
    dims, params, X, y, reg = case
    net = build(cs231n, cls, dims, reg)
    loss, grads = student_loss(net, params, X, y)
    for name, value in params.items():
        def f(v, name=name):
            return cs231n.scalar(student_loss(net, {**params, name: v}, X, y)[0], what="loss")
        expect_close(grads.get(name), G.numeric_vjp(f, value, 1.0), what=f"{cls}'s grads['{name}']",
                     formula="the gradient of your own loss", rtol=G.NUMERIC_RTOL,
                     expected_from="central differences of your loss")


@title("TwoLayerNet: params, scores, loss and grads")
@tags("two-layer-net")
@settings(max_examples=S.examples(0.3))
@given(case=net_cases(max_depth=2))
def test_two_layer_net(cs231n, case):
    """TwoLayerNet: params W1 (D, H), b1, W2 (H, C), b2; scores; loss and grads with 0.5 reg W^2."""
    check_loss_and_grads(cs231n, "TwoLayerNet", case)


@title("TwoLayerNet: grads match numerical gradients")
@tags("two-layer-net")
@settings(max_examples=S.examples(0.1, at_least=3))
@given(case=net_cases(max_depth=2, max_width=3))
def test_two_layer_net_numerical(cs231n, case):
    """TwoLayerNet's grads agree with central differences of its own loss."""
    check_numerical(cs231n, "TwoLayerNet", case)


@title("FullyConnectedNet: params, scores, loss and grads")
@tags("fc-net")
@settings(max_examples=S.examples(0.3))
@given(case=net_cases())
def test_fc_net(cs231n, case):
    """FullyConnectedNet of any depth: params, scores, loss and every gradient, with reg."""
    check_loss_and_grads(cs231n, "FullyConnectedNet", case)


@title("FullyConnectedNet: grads match numerical gradients")
@tags("fc-net")
@settings(max_examples=S.examples(0.1, at_least=3))
@given(case=net_cases(max_width=3))
def test_fc_net_numerical(cs231n, case):
    """FullyConnectedNet's grads agree with central differences of its own loss."""
    check_numerical(cs231n, "FullyConnectedNet", case)


@title("FullyConnectedNet: no dropout in test mode")
@tags("fc-net", "dropout")
def test_fc_net_dropout_test_mode(cs231n):
    """With dropout, loss(X) (y None: test mode) is deterministic and equals the net without it."""
    rng = np.random.default_rng(11)
    dims = [5, 4, 4, 3]
    params = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(0, 0.7, (a, b)), rng.normal(0, 0.3, b)
    X = rng.normal(0, 1, (6, 5))
    net = cs231n.net("FullyConnectedNet", dims[1:-1], input_dim=5, num_classes=3, dropout=0.5,
                     weight_scale=1e-2, dtype="float64", seed=123)
    scores = student_loss(net, params, X, None)
    try:
        expect_close(scores, R.net_loss(params, X, None, 0.0), what="scores in test mode",
                     formula="dropout is the identity at test time (inverted dropout)",
                     diagnosis_id="dropout-mode")
    except CheckFailure as exc:
        raise CheckFailure(D.diagnosis("dropout-mode", "FullyConnectedNet.loss(X) (test mode) "
                                       "still drops units or scales them: at test time inverted "
                                       "dropout is the identity"), message=exc.message) from exc
