"""Checks of layers.Linear: forward, backward, numerical gradients, batch properties,
repeated calls and initialisation.

The grader sets W and b itself (random, non-zero) so that every value check is
independent of the student's initialisation; the init checks look at that
initialisation alone.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.default.init_scale import std_bounds
from grader.sandbox import Rng
from reference import layers as ref_layers

FORWARD = "x @ W + b"
LINEAR_SHAPES = ("Linear multiplies arrays of incompatible shapes: forward is x @ W + b (N, out), "
                 "backward returns dx = grad_out @ W.T (N, in) and sets dW = x.T @ grad_out (in, out)")


def make_linear(student, W: np.ndarray, b: np.ndarray):
    layer = student.new("layers", "Linear", W.shape[0], W.shape[1], rng=Rng(0))
    layer.set("W", W.copy())
    layer.set("b", b.copy())
    return D.Guarded(layer, "Linear", LINEAR_SHAPES)


def reference_linear(W: np.ndarray, b: np.ndarray) -> ref_layers.Linear:
    layer = ref_layers.Linear(W.shape[0], W.shape[1], rng=np.random.default_rng(0))
    layer.W, layer.b = W.copy(), b.copy()
    return layer


def linear_forward_signature(x, W, b, actual):
    """Known Linear.forward bugs: forgotten bias, subtracted bias, centred batch."""
    return D.first(
        lambda: D.diagnosis("wrong-forward", "Linear.forward leaves out the bias: return x @ W + b")
        if D.matches(actual, x @ W) else None,
        lambda: D.diagnosis("wrong-forward", "Linear.forward subtracts the bias: return x @ W + b")
        if D.matches(actual, x @ W - b) else None,
        lambda: D.batch_dependence_diagnosis(what="Linear.forward centres the batch (x - x.mean(0))")
        if D.matches(actual, (x - x.mean(axis=0)) @ W + b) else None,
        lambda: D.precision_signature(actual, x @ W + b, what="Linear.forward's output"),
    )


def check_forward(student, case: S.LinearCase):
    layer = make_linear(student, case.W, case.b)
    out = layer.call("forward", case.x)
    expected = reference_linear(case.W, case.b).forward(case.x)
    out = D.require_array(out, expected.shape, what="Linear.forward's output")
    if not G.close(out, expected):
        raise D.mismatch("wrong-forward", f"Linear.forward differs from {FORWARD}", actual=out,
                         expected=expected,
                         found=linear_forward_signature(case.x, case.W, case.b, out))
    return layer


@title("Linear: forward computes x @ W + b")
@tags("linear")
@S.share(0.48)
@given(case=S.linear_cases())
def test_forward(student, case):
    """Linear.forward = x @ W + b, shape (N, out), float64."""
    check_forward(student, case)


def check_backward_values(dx, dW, db, case: S.LinearCase, *, expected_from: str = "reference",
                          rtol: float = G.REFERENCE_RTOL, ref=None) -> None:
    """Compare the student's dx, dW, db with the reference's on the same W, b, x, grad_out."""
    x, g = case.x, case.grad_out
    n, fan_out = g.shape
    if ref is None:
        layer = reference_linear(case.W, case.b)
        layer.forward(x)
        ref = (layer.backward(g), layer.dW, layer.db)
    ref_dx, ref_dW, ref_db = ref
    dx = D.require_array(dx, ref_dx.shape, what="Linear.backward's return value (dx)")
    dW = D.require_array(dW, ref_dW.shape, what="Linear.dW",
                         extra=lambda: D.weight_gradient_signature(dW, x, g))
    db = D.require_array(db, ref_db.shape, what="Linear.db",
                         extra=lambda: D.bias_gradient_signature(db, g, fan_out=fan_out))
    for name, got, want, formula in (
            ("dx", dx, ref_dx, "grad_out @ W.T"), ("dW", dW, ref_dW, "x.T @ grad_out"),
            ("db", db, ref_db, "grad_out.sum(axis=0)")):
        if G.relative_error(got, want) <= rtol:
            continue
        what = "Linear.backward's dx" if name == "dx" else f"Linear.{name}"
        found = D.first(
            lambda: D.finite_signature(got, what=what, diagnosis_id="wrong-gradient"),
            lambda: D.bias_gradient_signature(got, g, fan_out=fan_out) if name == "db" else None,
            lambda: D.precision_signature(got, want, what=what),
            lambda: D.linear_dx_signature(got, case.W, g, dW, what=what) if name == "dx" else None,
            lambda: D.weight_gradient_signature(got, x, g) if name == "dW" else None,
            lambda: D.scale_signature(got, want, what=what, n=n),
        )
        raise D.mismatch("wrong-gradient", f"{what} differs from the {expected_from} gradient "
                         f"{formula}", actual=got, expected=want, found=found)


@title("Linear: backward computes dx, dW and db")
@tags("linear")
@S.share(0.64)
@given(case=S.linear_cases())
def test_backward(student, case):
    """Linear.backward returns dx = grad_out @ W.T and sets dW = x.T @ grad_out, db = sum over batch."""
    layer = make_linear(student, case.W, case.b)
    (_, dx), (dW, db) = layer.calls_then_reads([("forward", (case.x,)), ("backward", (case.grad_out,))],
                                               ("dW", "db"))
    check_backward_values(dx, dW, db, case)


@title("Linear: backward matches numerical gradients")
@tags("linear")
@S.share(0.32)
@given(case=S.linear_cases(max_batch=4, max_features=5))
def test_gradient_numerical(student, case):
    """dx, dW and db agree with central differences of the student's own forward (J^T v)."""
    layer = make_linear(student, case.W, case.b)
    x, W, b, v = case.x, case.W, case.b, case.grad_out

    def via_x(xs):
        return layer.call_each("forward", [(x_,) for x_ in xs])

    def via_W(Ws):
        return layer.call_each("forward", [(x,)] * len(Ws), sets=[{"W": W_} for W_ in Ws])

    def via_b(bs):
        return layer.call_each("forward", [(x,)] * len(bs), sets=[{"b": b_} for b_ in bs])

    num_dx = G.numeric_vjp_each(via_x, x, v)
    num_dW = G.numeric_vjp_each(via_W, W, v)
    layer.set("W", W.copy())
    num_db = G.numeric_vjp_each(via_b, b, v)
    layer.set("b", b.copy())
    (_, dx), (dW, db) = layer.calls_then_reads([("forward", (x,)), ("backward", (v,))], ("dW", "db"))
    try:
        check_backward_values(dx, dW, db, case,
                              expected_from="numerical (central differences of your forward)",
                              rtol=G.NUMERIC_RTOL, ref=(num_dx, num_dW, num_db))
    except CheckFailure as exc:
        if exc.diagnoses[0].id in ("wrong-gradient", "gradient-scale"):
            ref = reference_linear(W, b)
            ref.forward(x)
            right = (ref.backward(v), ref.dW, ref.db)
            if all(D.matches(a, e, rtol=1e-8) for a, e in zip((dx, dW, db), right)):
                raise CheckFailure(D.forward_is_the_problem(dx, right[0], what="Linear")) from exc
        raise


@title("Linear: a sample's output ignores its batch mates")
@tags("linear")
@S.share(0.32)
@given(case=S.linear_cases(min_batch=2), data=st.data())
def test_batch_independence(student, case, data):
    """A sample's output does not depend on its batch mates; permuting the batch permutes the output."""
    layer = make_linear(student, case.W, case.b)
    x = case.x
    expected = reference_linear(case.W, case.b).forward(x)
    out = D.require_array(layer.call("forward", x), expected.shape, what="Linear.forward's output")
    others = data.draw(S.arrays(shape=x.shape, bound=5.0), label="other batch mates")
    changed = others.copy()
    changed[0] = x[0]
    out_changed = np.asarray(layer.call("forward", changed), dtype=np.float64)
    if not G.close(out_changed[0], out[0]):
        raise D.mismatch("batch-dependence", "", actual=out_changed[0], expected=out[0],
                         found=D.batch_dependence_diagnosis(what="Linear.forward"))
    perm = np.arange(x.shape[0])[::-1].copy()
    out_perm = np.asarray(layer.call("forward", x[perm]), dtype=np.float64)
    if not G.close(out_perm, out[perm]):
        raise D.mismatch("batch-dependence", "", actual=out_perm, expected=out[perm],
                         found=D.batch_dependence_diagnosis(
                             what="Linear.forward is not permutation equivariant"))


@title("Linear: a second backward overwrites, never adds")
@tags("linear")
@S.share(0.48)
@given(case=S.linear_cases())
def test_repeated_backward(student, case):
    """forward and backward leave their input arrays unchanged; a second backward gives the same
    gradients (overwritten, not accumulated); a backward after a new forward reflects only the new
    batch."""
    layer = make_linear(student, case.W, case.b)
    D.call_watched(layer, "forward", case.x, what="Linear.forward")
    dx1 = D.call_watched(layer, "backward", case.grad_out, what="Linear.backward")
    dW1, db1 = layer.get("dW"), layer.get("db")
    check_backward_values(dx1, dW1, db1, case)
    dx2 = layer.call("backward", case.grad_out)
    dW2, db2 = layer.get("dW"), layer.get("db")
    for name, a, b_ in (("dW", dW1, dW2), ("db", db1, db2)):
        if not G.close(b_, a):
            raise D.mismatch("stale-gradient", "", actual=b_, expected=a, found=D.first(
                lambda: D.stale_gradient_signature(a, b_, what=f"Linear.{name}"),
                lambda: D.repeat_mismatch(a, b_, what=f"Linear.{name}", call="Linear.backward")))
    if not G.close(dx2, dx1):
        raise D.mismatch("input-mutation", "", actual=dx2, expected=dx1, found=D.repeat_mismatch(
            dx1, dx2, what="dx", call="Linear.backward"))
    # A new forward with a new batch, then backward: only the new batch's gradient.
    rng = np.random.default_rng(case.x.shape[0])
    x2 = rng.uniform(-5, 5, size=case.x.shape)
    g2 = rng.uniform(-1, 1, size=case.grad_out.shape)
    layer.call("forward", x2)
    dx3 = layer.call("backward", g2)
    dW3, db3 = layer.get("dW"), layer.get("db")
    ref = reference_linear(case.W, case.b)
    ref.forward(x2)
    ref_dx3 = ref.backward(g2)
    for name, got, prev, want in (("dW", dW3, dW2, ref.dW), ("db", db3, db2, ref.db)):
        if not G.close(got, want):
            raise D.mismatch("stale-gradient", "", actual=got, expected=want, found=D.first(
                lambda: D.accumulated_signature(prev, got, want, what=f"Linear.{name}"),
                lambda: D.diagnosis("wrong-gradient", f"after a second forward, Linear.{name} does "
                                    "not match the new batch: backward must use the most recent "
                                    "forward's input")))
    if not G.close(dx3, ref_dx3):
        raise D.mismatch("wrong-gradient", "after a second forward, Linear.backward's dx does not "
                         "match the new batch", actual=dx3, expected=ref_dx3)


# -- initialisation -------------------------------------------------------------------------
def init_weights(student, fan_in: int, fan_out: int, seed: int) -> np.ndarray:
    layer = student.new("layers", "Linear", fan_in, fan_out, rng=Rng(seed))
    W = layer.get("W")
    D.require_array(W, (fan_in, fan_out), what=f"Linear({fan_in}, {fan_out}).W")
    b = layer.get("b")
    D.require_array(b, (fan_out,), what=f"Linear({fan_in}, {fan_out}).b")
    if not np.all(np.isfinite(W)) or not np.all(np.isfinite(b)):
        fail("init-scale", f"Linear({fan_in}, {fan_out}) initialises W or b with inf/NaN")
    return np.asarray(W, dtype=np.float64)


@title("Linear: initial weights are scaled to the fan-in")
@tags("linear")
def test_init_scale(student, grading_seed):
    """The std of the initial W is scaled to the fan-in (Xavier, He or LeCun; normal or uniform)."""
    for fan_in, fan_out in ((400, 300), (50, 300), (300, 20)):
        W = init_weights(student, fan_in, fan_out, grading_seed)
        std = float(W.std())
        low, high = std_bounds(fan_in)
        if std == 0.0:
            fail("init-symmetric", f"Linear({fan_in}, {fan_out}) initialises every weight to "
                 f"{W.flat[0]:g}: draw W from rng, e.g. rng.standard_normal((in, out)) * "
                 "np.sqrt(2 / in)")
        if not low <= std <= high:
            size = "large" if std > high else "small"
            fail("init-scale", f"Linear({fan_in}, {fan_out}).W has std {std:.4g}, too {size}: scale "
                 f"random weights by the fan-in, e.g. np.sqrt(2 / in_features) = "
                 f"{np.sqrt(2.0 / fan_in):.4g} (He) or np.sqrt(1 / in_features)")


@title("Linear: initial weights differ between units")
@tags("linear")
def test_init_symmetric(student, grading_seed):
    """Initial weights differ between hidden units (no two columns of W equal)."""
    W = init_weights(student, 20, 30, grading_seed)
    if np.all(W == W.flat[0]):
        fail("init-symmetric", f"Linear(20, 30) sets every weight to {W.flat[0]:g}: every hidden unit "
             "then computes the same thing; draw W at random from rng")
    if len({col.tobytes() for col in W.T}) < W.shape[1] or \
            len({row.tobytes() for row in W}) < W.shape[0]:
        fail("init-symmetric", "Linear(20, 30).W has identical rows or columns: hidden units start "
             "identical and stay so; draw every entry independently from rng")


@title("Linear: the same seed gives the same weights")
@tags("linear")
def test_init_reproducible(student, grading_seed):
    """The same rng seed gives the same W; a different seed gives a different W."""
    first = init_weights(student, 7, 5, grading_seed)
    again = init_weights(student, 7, 5, grading_seed)
    other = init_weights(student, 7, 5, grading_seed + 1)
    if not np.array_equal(first, again):
        fail("nondeterministic", "Linear(7, 5, rng=np.random.default_rng(seed)) gives different W "
             "for the same seed: draw the weights from the rng argument (rng.standard_normal), "
             "not from np.random")
    if np.array_equal(first, other):
        fail("nondeterministic", "Linear gives the same W for different rng seeds: it ignores the rng "
             "argument; draw the weights from it (rng.standard_normal)")
