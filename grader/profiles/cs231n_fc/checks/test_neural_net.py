"""CS231n 2016-2020 assignment1, classifiers/neural_net.py: the old TwoLayerNet.

`TwoLayerNet(input_size, hidden_size, output_size, std=1e-4)` keeps W1 (D, H), b1 (H,),
W2 (H, C), b2 (C,) in `params`; `loss(X, y=None, reg=0.0)` returns the scores (N, C) without
y, else (loss, grads) with the mean softmax loss plus `reg * sum(W**2)` over both weights (no
0.5: the handout's own expected loss, 1.30378789133, is computed that way). Graded only where
the year's assignment1 holds neural_net.py (releases.py).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.expect import expect_close
from grader.checks.framework import fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.checks.cases import net_cases
from grader.profiles.cs231n_fc.layout import MODULES

NEURAL_NET = MODULES["neural_net"]
CLS = "TwoLayerNet"


def build(cs231n, dims: list[int]):
    """The student's neural_net.TwoLayerNet(D, H, C, std=1e-2)."""
    return cs231n.sandbox.new(NEURAL_NET, CLS, dims[0], dims[1], dims[2], std=1e-2)


def loss_of(net, params: R.Params, X: np.ndarray, y: np.ndarray | None, reg: float):
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net.call("loss", X, y, reg)


def losses_of(net, each: list[R.Params], X: np.ndarray, y: np.ndarray | None, reg: float) -> list:
    """loss_of for each params, in one round trip; with labels, each result's grads stay in
    the worker (a numerical gradient reads the losses alone)."""
    return net.call_each("loss", [(X, y, reg)] * len(each), keep=None if y is None else (1,),
                         sets=[{"params": {k: v.copy() for k, v in params.items()}} for params in each])


def reference(params: R.Params, X: np.ndarray, y: np.ndarray | None, reg: float):
    """The course's loss: reg * sum(W**2) is the grader's 0.5 * reg' * sum(W**2), reg' = 2 reg."""
    return R.net_loss(params, X, y, 2.0 * reg)


def bias_as_vector(value, n: int, what: str) -> np.ndarray:
    """A bias or its gradient: (n,) as the handout builds it; (1, n) is accepted too (it
    broadcasts the same way, and the notebook's checks pass it)."""
    array = np.asarray(value) if isinstance(value, np.ndarray) else value
    if isinstance(array, np.ndarray) and array.shape == (1, n):
        array = array.reshape(n)
    return D.require_array(array, (n,), what=what)


@title("neural_net.TwoLayerNet: scores, loss with L2 reg, and grads")
@tags("neural-net")
@S.share(0.3)
@given(case=net_cases(max_depth=2))
def test_neural_net_loss(cs231n, case):
    """Scores, loss and every gradient against the reference, the regulariser named."""
    dims, params, X, y, reg = case
    net = build(cs231n, dims)
    got = net.get("params")
    if not isinstance(got, dict) or any(k not in got for k in params):
        fail("missing-api", f"{CLS}.params must hold W1, b1, W2, b2 (got {D.fmt(got)})")
    scores = loss_of(net, params, X, None, reg)
    expect_close(scores, reference(params, X, None, reg), what=f"{CLS}.loss(X)'s scores",
                 diagnosis_id="wrong-forward", formula="relu(X @ W1 + b1) @ W2 + b2, no softmax")
    result = loss_of(net, params, X, y, reg)
    if type(result) is not list or len(result) != 2 or not isinstance(result[1], dict):
        fail("missing-api", f"{CLS}.loss(X, y, reg) must return (loss, grads) with grads a dict")
    loss, grads = cs231n.scalar(result[0], what=f"{CLS}'s loss"), result[1]
    want_loss, want_grads = reference(params, X, y, reg)
    penalty = sum(reg * float(np.sum(params[k] ** 2)) for k in ("W1", "W2"))
    if not D.matches(loss, want_loss, rtol=1e-8):
        if reg and D.matches(loss, want_loss - penalty, rtol=1e-8):
            fail("regularization", f"{CLS}'s loss leaves out the regulariser reg * sum(W**2)")
        if reg and D.matches(loss, want_loss - 0.5 * penalty, rtol=1e-8):
            fail("regularization", f"{CLS}'s loss halves the regulariser: this year's handout "
                 "adds reg * sum(W**2), not 0.5 * reg * sum(W**2)")
        expect_close(np.asarray(loss), np.asarray(want_loss), what=f"{CLS}'s loss",
                     formula="mean softmax loss + reg * (sum(W1**2) + sum(W2**2))",
                     diagnosis_id="wrong-forward")
    for name, want in want_grads.items():
        if name not in grads:
            fail("missing-api", f"{CLS}'s grads has no '{name}': grads is keyed like params")
        what = f"{CLS}'s grads['{name}']"
        value = (bias_as_vector(grads[name], want.shape[0], what) if name.startswith("b")
                 else D.require_array(grads[name], want.shape, what=what))
        if name.startswith("W") and reg and not D.matches(value, want, rtol=1e-8):
            for c, how in ((0.0, "leaves out"), (1.0, "halves"), (4.0, "doubles")):
                if D.matches(value, want + (c - 2.0) * reg * params[name], rtol=1e-8):
                    fail("regularization", f"{what} {how} the regulariser's gradient 2 * reg * W")
        expect_close(value, want, what=what, n=X.shape[0],
                     formula="backpropagation through affine - relu - affine - softmax")


@title("neural_net.TwoLayerNet: grads match numerical gradients")
@tags("neural-net")
@S.share(0.1, at_least=3)
@given(case=net_cases(max_depth=2, max_width=3))
def test_neural_net_numerical(cs231n, case):
    """grads agree with central differences of the student's own loss."""
    dims, params, X, y, reg = case
    net = build(cs231n, dims)
    result = loss_of(net, params, X, y, reg)
    if type(result) is not list or len(result) != 2 or not isinstance(result[1], dict):
        fail("missing-api", f"{CLS}.loss(X, y, reg) must return (loss, grads) with grads a dict")
    grads = result[1]
    for name, value in params.items():
        def f(vs, name=name):
            return [cs231n.scalar(result[0], what="loss")
                    for result in losses_of(net, [{**params, name: v} for v in vs], X, y, reg)]
        got = grads.get(name)
        if name.startswith("b") and isinstance(got, np.ndarray) and got.size == value.size:
            got = got.reshape(value.shape)
        numeric = G.numeric_vjp_each(f, value, 1.0, analytic=got)
        expect_close(got, numeric, what=f"{CLS}'s grads['{name}']", atol=G.ATOL,
                     formula="the gradient of your own loss", rtol=G.NUMERIC_RTOL,
                     expected_from="central differences of your loss")


@title("neural_net.TwoLayerNet: predict picks the top-scoring class")
@tags("neural-net")
@S.share(0.1, at_least=3)
@given(case=net_cases(max_depth=2))
def test_neural_net_predict(cs231n, case):
    """predict(X) is argmax over the net's own scores, one integer label per row (the
    notebook only checks it through validation accuracy after training; dev set:
    `np.argmax(y_pred)` on a `y_pred` still None passed the loss and gradient checks)."""
    dims, params, X, _, reg = case
    net = build(cs231n, dims)
    net.set("params", {k: v.copy() for k, v in params.items()})
    got = net.call("predict", X)
    if np.ndim(got) == 0 and got is not None:
        # np.argmax(y_pred) with y_pred still None is 0: one value, whatever X is.
        fail("shape-mismatch", f"{CLS}.predict(X) for X of shape {X.shape} returned one value "
             f"({D.fmt(got)}), not one label per row; return np.argmax(scores, axis=1) of the "
             "scores the network computes for X (an argmax over a variable still None is 0)")
    got = D.require_array(got, (X.shape[0],), kinds="i",
                          what=f"{CLS}.predict(X) for X of shape {X.shape}")
    scores = reference(params, X, None, reg)
    want = np.argmax(scores, axis=1)
    # Any class tied for the highest score is right (all-zero weights tie every class).
    in_range = (got >= 0) & (got < scores.shape[1])
    picked = scores[np.arange(len(got)), np.where(in_range, got, 0)]
    top = scores.max(axis=1)
    right = in_range & (picked >= top - 1e-9 * np.maximum(1.0, np.abs(top)))
    if not right.all():
        wrong = int(np.flatnonzero(~right)[0])
        fail("wrong-forward", f"{CLS}.predict(X)[{wrong}] is {int(got[wrong])}, but row {wrong}'s "
             f"highest score is class {int(want[wrong])}: predict returns "
             "np.argmax(scores, axis=1) over loss(X)'s scores")
