"""MyTorch Linear: W (out, in), b (out, 1); Z = A @ W.T + b.T; dLdW, dLdb summed over the batch.

Values are set by the grader (random, non-zero): MyTorch's handout initialises W and b to
zeros, which is correct there, so no initialisation is graded.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, beyond_course, course_misses, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS
from grader.profiles.mytorch_hw1p1 import v2
from grader.profiles.mytorch_hw1p1 import v2_course as C
from grader.profiles.mytorch_hw1p1.adapters import student_array
from grader.profiles.mytorch_hw1p1.checking import (COURSE_SHAPES, NUMERIC_ATOL, ONE_SAMPLE,
                                                    expect_course_close,
                                                    expect_overwritten, expect_unchanged,
                                                    within_course_precision)
from grader.sandbox import StudentException


def linear_with(mytorch, case: S.LinearCase, **kwargs):
    fan_in, fan_out = case.W.shape
    layer = mytorch.linear(fan_in, fan_out, **kwargs)
    layer.set_params(case.W, case.b)
    return layer


def check_forward(layer, case: S.LinearCase) -> np.ndarray:
    expected = R.linear_forward(case.x, case.W, case.b)
    out = layer.forward(case.x)
    return expect_course_close(out, expected, what="Linear.forward's Z", formula="Z = A @ W.T + b.T",
                               diagnosis_id="wrong-forward", signatures=(
                            lambda: D.diagnosis("wrong-forward", "Linear.forward leaves out the bias: "
                                                "Z = A @ W.T + b.T") if D.matches(out, case.x @ case.W)
                            else None,
                            lambda: D.batch_dependence_diagnosis(what="Linear.forward centres the batch")
                            if D.matches(out, R.linear_forward(case.x - case.x.mean(axis=0), case.W, case.b))
                            and case.x.shape[0] > 1 else None))


def check_backward(layer, case: S.LinearCase, *, expected=None, rtol: float = G.REFERENCE_RTOL,
                   expected_from: str = "the definition", atol: float = G.ATOL,
                   mytorch=None) -> tuple[np.ndarray, ...]:
    """Compare dLdA, dLdW, dLdb (canonical through the adapter) with `expected` (default: the
    reference's) after one backward; returns the student's three. With `mytorch`, a dLdW or
    dLdb failure that the 2.0.1 autograder's Linear section would not see is marked so."""
    n = case.x.shape[0]
    dLdA = layer.backward(case.grad_out)
    want = expected or R.linear_backward(case.x, case.W, case.grad_out)
    # 2.0.x (v2.py): the adapter compares its averaged gradients times N, in 3.0.x units.
    scale = v2.linear_scale_signature if layer.legacy else MS.legacy_scale_signature
    formulas = v2.FORMULAS if layer.legacy else {}

    def compare(got, ref, what, formula):
        expect_course_close(got, ref, what=what, formula=formulas.get(what, formula), n=n, rtol=rtol,
                     expected_from=expected_from, atol=atol,
                     signatures=(lambda: scale(got, ref, what=what, n=n),))

    compare(dLdA, want[0], "Linear.backward's dLdA", "dLdA = dLdZ @ W")
    with C.missed_by_course(layer.legacy and mytorch is not None, lambda: C.linear_passes(mytorch),
                            C.LINEAR_MISSED):
        dW, db = layer.grads(case.grad_out)
        compare(dW, want[1], "Linear.dLdW", "dLdW = dLdZ.T @ A")
        compare(db, want[2], "Linear.dLdb", "dLdb = dLdZ.T @ ones((N, 1))")
    return dLdA, dW, db


@title("Linear: constructor makes W (out, in) and b (out, 1)")
@tags("linear")
@course_misses("the course's autograder sets W and b itself before every Linear and MLP test, "
               "so it never sees the shapes the constructor makes")
def test_constructor(mytorch):
    """Linear(in, out) holds W (out, in) and b (out, 1); Linear(in, out, debug=True) works."""
    layer = mytorch.linear(3, 5)
    student_array(layer.remote.get("W"), (5, 3), what="Linear(3, 5).W")
    student_array(layer.remote.get("b"), (5, 1), what="Linear(3, 5).b")
    try:
        mytorch.linear(3, 5, debug=True)
    except StudentException as exc:
        if exc.exc_type == "TypeError":
            fail("missing-api", "Linear(in_features, out_features, debug=False) must accept the debug "
                 f"keyword the course's models pass: {exc.message}")
        raise


@title("Linear: forward computes A @ W.T + b.T")
@tags("linear")
@S.share(0.4)
@given(case=S.linear_cases(**COURSE_SHAPES))
def test_forward(mytorch, case):
    """Z = A @ W.T + b.T, shape (N, out), float64."""
    check_forward(linear_with(mytorch, case), case)


@title("Linear: backward gives dLdA, dLdW and dLdb")
@tags("linear")
@S.share(0.5)
@given(case=S.linear_cases(**COURSE_SHAPES))
def test_backward(mytorch, case):
    """dLdA = dLdZ @ W; dLdW = dLdZ.T @ A (out, in) and dLdb (out, 1) summed over the batch."""
    layer = linear_with(mytorch, case, **layer_debug(mytorch))
    layer.forward(case.x)
    check_backward(layer, case, mytorch=mytorch)
    if mytorch.legacy:
        check_debug_attributes(layer, case)


def layer_debug(mytorch) -> dict:
    """2.0.x: the Linear built with debug=True, as the 2.0.1 autograder's Linear section does."""
    return {"debug": True} if mytorch.legacy else {}


def check_debug_attributes(layer, case: S.LinearCase) -> None:
    """2.0.x: the 2.0.1 autograder's Linear section also reads the debug attributes dZdA (W.T,
    (in, out)), dZdW (A, (N, in)) and dZdb (ones, (N, 1)), compared as it compares them
    (np.allclose, which broadcasts)."""
    n = case.x.shape[0]
    for name, expected in (("dZdA", case.W), ("dZdW", case.x), ("dZdb", np.ones((n, 1)))):
        if not layer.remote.has(name):
            fail("missing-api", f"Linear(debug=True).backward keeps no self.{name}: the 2.0.x "
                 f"handout stores dZdA, dZdW and dZdb when debug is on, and its autograder reads them")
        value = layer.remote.get(name)
        if not D._numeric(value):
            fail("shape-mismatch", f"Linear.{name} (kept with debug=True) is "
                 f"{type(value).__name__}, not an array: dZdA = W.T, dZdW = A, dZdb = ones((N, 1))")
        try:
            ok = bool(np.allclose(np.asarray(value, dtype=np.float64), expected, rtol=1e-5, atol=1e-4))
        except ValueError:  # shapes that do not broadcast
            ok = False
        if not ok:
            raise D.mismatch("wrong-gradient", f"Linear.{name} (kept with debug=True) differs from "
                             "the 2.0.x definition: dZdA = W.T, dZdW = A, dZdb = ones((N, 1))",
                             actual=value, expected=expected, found=None)


@title("Linear: backward matches numerical gradients")
@tags("linear")
@S.share(0.25)
@given(case=S.linear_cases(max_batch=4, max_features=5, **COURSE_SHAPES))
def test_gradient_numerical(mytorch, case):
    """dLdA, dLdW and dLdb agree with central differences of the student's own forward."""
    layer = linear_with(mytorch, case)
    x, W, b, v = case.x, case.W, case.b, case.grad_out

    def via_W(Ws):
        return layer.forward_with([(W_, b) for W_ in Ws], x)

    def via_b(bs):
        return layer.forward_with([(W, b_) for b_ in bs], x)

    numeric = (G.numeric_vjp_each(layer.forward_each, x, v), G.numeric_vjp_each(via_W, W, v),
               G.numeric_vjp_each(via_b, b, v))
    layer.set_params(W, b)
    layer.forward(x)
    try:
        check_backward(layer, case, expected=numeric, rtol=G.NUMERIC_RTOL, atol=NUMERIC_ATOL,
                       expected_from="central differences of your forward", mytorch=mytorch)
    except CheckFailure as exc:
        right = R.linear_backward(x, W, v)
        out = layer.forward(x)
        theirs = (layer.backward(v), *layer.grads(v))
        if within_course_precision((out, *theirs), (R.linear_forward(x, W, b), *right)):
            return  # float32 arithmetic: central differences of it are round-off
        if exc.diagnoses[0].id in ("wrong-gradient", "gradient-scale"):
            if all(D.matches(a, e, rtol=1e-8) for a, e in zip(theirs, right)):
                raise CheckFailure(D.forward_is_the_problem(theirs[0], right[0], what="Linear")) from exc
        raise


@title("Linear: a sample's Z ignores its batch mates")
@tags("linear", "robustness")
@S.share(0.25)
@given(case=S.linear_cases(**COURSE_SHAPES), data=st.data())
def test_batch_independence(mytorch, case, data):
    """A sample's Z does not depend on its batch mates."""
    layer = linear_with(mytorch, case)
    out = check_forward(layer, case)
    others = data.draw(S.arrays(shape=case.x.shape, bound=5.0), label="other batch mates")
    others[0] = case.x[0]
    changed = np.asarray(layer.forward(others), dtype=np.float64)
    if not G.close(changed[0], out[0]):
        raise D.mismatch("batch-dependence", "", actual=changed[0], expected=out[0],
                         found=D.batch_dependence_diagnosis(what="Linear.forward"))


@title("Linear: a second backward overwrites, never adds")
@tags("linear", "robustness")
@course_misses("the course's autograder calls each backward once, so gradients that pile up "
               "over calls (+=) pass it")
@S.share(0.3)
@given(case=S.linear_cases(**COURSE_SHAPES))
def test_repeated_backward(mytorch, case):
    """forward/backward leave A and dLdZ unchanged; a second backward overwrites dLdW and dLdb;
    a backward after a new forward uses only the new batch."""
    layer = linear_with(mytorch, case)
    D.call_watched(layer.remote, "forward", case.x, what="Linear.forward")
    dLdA1 = D.call_watched(layer.remote, "backward", case.grad_out, what="Linear.backward")
    dW1, db1 = layer.grads(case.grad_out)
    dLdA2 = layer.backward(case.grad_out)
    dW2, db2 = layer.grads(case.grad_out)
    expect_overwritten(dW1, dW2, what="Linear.dLdW", call="Linear.backward")
    expect_overwritten(db1, db2, what="Linear.dLdb", call="Linear.backward")
    expect_unchanged(dLdA1, dLdA2, what="dLdA", call="Linear.backward")
    rng = np.random.default_rng(case.x.shape[0])
    fresh = S.LinearCase(rng.uniform(-5, 5, size=case.x.shape), case.W, case.b,
                         rng.uniform(-1, 1, size=case.grad_out.shape))
    layer.forward(fresh.x)
    try:
        check_backward(layer, fresh, mytorch=mytorch)
    except CheckFailure as exc:
        dW3, _ = layer.grads(fresh.grad_out)
        stale = D.accumulated_signature(dW2, dW3, R.linear_backward(fresh.x, fresh.W,
                                                                      fresh.grad_out)[1],
                                        what="Linear.dLdW")
        if stale is not None:
            raise CheckFailure(stale) from exc
        raise


@title("Linear: a batch of one sample gives Z (1, out)")
@tags("linear")
@beyond_course(ONE_SAMPLE)
def test_one_sample(mytorch):
    """forward of a (1, 3) batch returns Z (1, 2); backward returns dLdA (1, 3) (no np.squeeze)."""
    rng = np.random.default_rng(11)
    case = S.LinearCase(rng.uniform(-2, 2, (1, 3)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 2),
                        rng.uniform(-1, 1, (1, 2)))
    layer = linear_with(mytorch, case)
    check_forward(layer, case)
    check_backward(layer, case)
