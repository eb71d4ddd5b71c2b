"""CS231n layers.py: affine, ReLU, softmax_loss and svm_loss, functional with opaque caches.

Each backward gets the cache its own forward returned, kept in the worker (never copied
here); values are compared with reference.py and with central differences of the student's
own forward.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.expect import expect_close
from grader.checks.framework import beyond_course, not_assigned, tags, title
from grader.checks.mutation import expect_unmodified
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.releases import WITHOUT_SVM
from grader.profiles.cs231n_fc.checks.cases import affine_cases, arrays, scores

AFFINE_SHAPES = "x (N, d1..dk) is flattened to (N, D) per sample: out = x.reshape(N, -1) @ w + b"


@title("affine_forward matches x.reshape(N, -1) @ w + b")
@tags("affine")
@S.share(0.4)
@given(case=affine_cases())
def test_affine_forward(cs231n, case):
    """out = x.reshape(N, -1) @ w + b, (N, M), for inputs with extra axes."""
    out, _ = cs231n.forward("affine_forward", case.x, case.w, case.b)
    want = R.affine_forward(case.x, case.w, case.b)
    expect_close(out, want, what="affine_forward's out", formula=AFFINE_SHAPES,
                 diagnosis_id="wrong-forward", signatures=(
                     lambda: D.diagnosis("wrong-forward", "affine_forward leaves out the bias b")
                     if D.matches(out, R.flat(case.x) @ case.w) else None,))


@title("affine_backward returns dx, dw and db")
@tags("affine")
@S.share(0.4)
@given(case=affine_cases())
def test_affine_backward(cs231n, case):
    """dx = dout @ w.T reshaped like x; dw = x_flat.T @ dout (D, M); db = dout summed (M,)."""
    _, cache = cs231n.forward("affine_forward", case.x, case.w, case.b)
    got = cs231n.triple("affine_backward", case.dout, cache)
    n = case.x.shape[0]
    for value, want, what, formula in zip(
            got, R.affine_backward(case.x, case.w, case.dout),
            ("dx", "dw", "db"), ("dout @ w.T, reshaped like x", "x.reshape(N, -1).T @ dout",
                                 "dout.sum(axis=0)")):
        expect_close(value, want, what=f"affine_backward's {what}", formula=f"{what} = {formula}",
                     n=n, signatures=(lambda value=value, what=what: D.bias_gradient_signature(
                         value, case.dout, fan_out=case.w.shape[1]) if what == "db" else None,))


@title("affine_backward matches numerical gradients")
@tags("affine")
@S.share(0.2)
@given(case=affine_cases(max_size=3))
def test_affine_numerical(cs231n, case):
    """affine_backward agrees with central differences of the student's affine_forward."""
    x, w, b, v = case.x, case.w, case.b, case.dout
    _, cache = cs231n.forward("affine_forward", x, w, b)
    got = cs231n.triple("affine_backward", v, cache)
    numeric = (G.numeric_vjp_each(lambda xs: cs231n.out_each("affine_forward", [(x_, w, b) for x_ in xs]), x, v,
                                  analytic=got[0]),
               G.numeric_vjp_each(lambda ws: cs231n.out_each("affine_forward", [(x, w_, b) for w_ in ws]), w, v,
                                  analytic=got[1]),
               G.numeric_vjp_each(lambda bs: cs231n.out_each("affine_forward", [(x, w, b_) for b_ in bs]), b, v,
                                  analytic=got[2]))
    for value, want, what in zip(got, numeric, ("dx", "dw", "db")):
        expect_close(value, want, what=f"affine_backward's {what}", formula="the chain rule",
                     rtol=G.NUMERIC_RTOL, expected_from="central differences of your affine_forward")


@title("relu_forward and relu_backward match max(x, 0)")
@tags("relu")
@S.share(0.4)
@given(case=arrays())
def test_relu(cs231n, case):
    """relu_forward: max(x, 0); relu_backward: dout where x > 0 (x is the cache's input)."""
    x, dout = case
    out, cache = cs231n.forward("relu_forward", x)
    expect_close(out, R.relu_forward(x), what="relu_forward's out", formula="max(x, 0)",
                 diagnosis_id="wrong-forward")
    dx = cs231n.call("relu_backward", dout, cache)
    expect_close(dx, R.relu_backward(x, dout), what="relu_backward's dx", formula="dout * (x > 0)",
                 signatures=(lambda: D.relu_mask_signature(x, dout, dx),))


def check_loss(cs231n, name: str, case) -> None:
    x, y = case
    loss, dx = cs231n.pair(name, x, y, what="(loss, dx)")
    want_loss, want_dx = getattr(R, name)(x, y)
    n = x.shape[0]
    value = cs231n.scalar(loss, what=f"{name}'s loss")
    # Non-finite values for large scores: exp overflowed (no max subtracted first).
    overflow = (lambda: D.overflow_signature(value, what=f"{name}'s loss")) if name == "softmax_loss" \
        else (lambda: None)
    expect_close(np.asarray(value), np.asarray(want_loss), what=f"{name}'s loss",
                 diagnosis_id="wrong-forward", formula="the mean over the N samples", signatures=(
                     overflow,
                     lambda: D.loss_reduction_signature(value, want_loss, what=f"{name}'s loss", n=n)))
    expect_close(dx, want_dx, what=f"{name}'s dx", formula="dx of the mean loss (divided by N)", n=n)


@title("softmax_loss: loss and dx match the definition")
@tags("losses", "softmax")
@S.share(0.4)
@given(case=scores())
def test_softmax_loss(cs231n, case):
    """Mean cross-entropy of softmax(x) with integer labels; dx = (softmax(x) - onehot(y)) / N."""
    check_loss(cs231n, "softmax_loss", case)


@title("softmax_loss: finite for scores up to 1e3")
@tags("losses", "softmax")
@beyond_course("the course's notebooks only try scores near 0 (0.001 * randn)")
def test_softmax_loss_large_scores(cs231n):
    """Scores of magnitude 1000 give a finite loss (max subtracted before exp)."""
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    check_loss(cs231n, "softmax_loss", (x, np.array([0, 2])))


@title("svm_loss: hinge loss and dx match the definition")
@tags("losses")
@S.share(0.3)
@given(case=scores())
def test_svm_loss(cs231n, release, case):
    """Mean multiclass hinge loss with margin 1 (2017-2024 handouts). A year without svm_loss
    passes: a skip would cost its points, and the function is not part of that year's work.
    From 2025 on layers.py keeps the stub but no notebook asks for it: not assigned."""
    if release is not None and release.name in WITHOUT_SVM:
        not_assigned(f"svm_loss is not part of {release.name} (no SVM notebook from 2025 on)")
    if not cs231n.has("cs231n.layers", "svm_loss"):
        return
    check_loss(cs231n, "svm_loss", case)


@title("relu_forward leaves its input unchanged")
@tags("relu")
@beyond_course("the course's notebooks never look at x after the call (an in-place edit shows "
               "there only as a failed numerical gradient check)")
def test_relu_keeps_input(cs231n):
    """relu_forward(x) computes into a new array: editing x in place changes the caller's x."""
    x = np.array([[-1.5, 0.5, 2.0], [3.0, -0.25, -4.0]])
    cs231n.forward("relu_forward", x)
    expect_unmodified(cs231n, what="relu_forward", names=["x"])


@title("softmax_loss leaves its scores unchanged")
@tags("losses", "softmax")
@beyond_course("the course's notebooks never look at x after the call (an in-place edit shows "
               "there only as a failed numerical gradient check)")
def test_softmax_loss_keeps_input(cs231n):
    """softmax_loss(x, y) must not shift or exponentiate x in place."""
    x = np.array([[2.0, -1.0, 0.5], [0.25, 3.0, -2.0]])
    cs231n.pair("softmax_loss", x, np.array([0, 2]), what="(loss, dx)")
    expect_unmodified(cs231n, what="softmax_loss", names=["x", "y"])
