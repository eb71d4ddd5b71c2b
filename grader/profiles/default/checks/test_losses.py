"""Checks of losses.softmax (tag softmax), losses.SoftmaxCrossEntropy (cross-entropy) and
losses.MSELoss (mse): values, gradients, stability on logits up to +-1000, repeated calls."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, tags, title
from grader.profiles.default import signatures as SIG
from reference import losses as ref_losses

LOSS_RTOL = 1e-8


# -- softmax -----------------------------------------------------------------------------
def check_softmax(student, z: np.ndarray, *, extreme: bool = False) -> np.ndarray:
    out = student.call("losses", "softmax", z)
    expected = ref_losses.softmax(z)
    if extreme and out is not None and D._numeric(out) and np.asarray(out).shape == z.shape:
        found = D.overflow_signature(out, what="softmax")
        if found is not None:
            raise CheckFailure(found)
    out = D.require_array(out, expected.shape, what="softmax's output")
    if not G.close(out, expected):
        found = SIG.softmax_forward_signature(z, out)
        if found is None and extreme:
            found = SIG.extreme_mismatch_signature(out, expected, what="softmax")
        raise D.mismatch("wrong-forward", "softmax differs from exp(z) / exp(z).sum(axis=1, "
                         "keepdims=True)", actual=out, expected=expected, found=found)
    return out


@title("softmax: rows are the definition's probabilities")
@tags("softmax")
@S.share(0.48)
@given(z=S.logits(min_batch=2))
def test_softmax(student, z):
    """softmax(logits): (N, C), each row non-negative and summing to 1, equal to the definition."""
    check_softmax(student, z)


@title("softmax: right for logits up to 1e3")
@tags("softmax")
@S.share(0.48)
@given(z=S.logits(extreme=True))
def test_softmax_large_logits(student, z):
    """Logits up to +-1000 give finite, correct probabilities (max-subtraction, no clipping)."""
    check_softmax(student, z, extreme=True)


@title("softmax: a row depends only on its own logits")
@tags("softmax")
@S.share(0.24)
@given(z=S.logits(min_batch=2), data=st.data())
def test_softmax_batch_independence(student, z, data):
    """A row's probabilities depend only on that row's logits."""
    out = D.require_array(student.call("losses", "softmax", z), z.shape, what="softmax's output")
    others = data.draw(S.arrays(shape=z.shape, bound=10.0), label="other rows")
    others[0] = z[0]
    changed = np.asarray(student.call("losses", "softmax", others), dtype=np.float64)
    if not G.close(changed[0], out[0]):
        raise D.mismatch("batch-dependence", "", actual=changed[0], expected=out[0], found=D.first(
            lambda: D.softmax_axis_signature(out),
            lambda: D.batch_dependence_diagnosis(what="softmax")))


@title("softmax: repeatable, leaves its input unchanged")
@tags("softmax")
@S.share(0.24)
@given(z=S.logits())
def test_softmax_repeatable(student, z):
    """softmax(z) twice gives the same probabilities, and leaves z unchanged."""
    first = check_softmax(student, z)
    losses = student.sandbox.module("losses")
    again = D.call_watched(losses, "softmax", z, what="softmax")
    if not G.close(again, first):
        raise D.mismatch("input-mutation", "", actual=again, expected=first, found=D.repeat_mismatch(
            first, again, what="probabilities", call="softmax"))


# -- softmax cross-entropy --------------------------------------------------------------------
def reference_ce(case: S.Classification) -> tuple[float, np.ndarray]:
    loss = ref_losses.SoftmaxCrossEntropy()
    value = loss.forward(case.logits, case.y)
    return value, loss.backward()


def check_ce_value(case: S.Classification, got, expected: float, *, extreme: bool = False) -> float:
    if extreme and got is not None and D._numeric(got):
        found = D.overflow_signature(got, what="SoftmaxCrossEntropy.forward")
        if found is not None:
            raise CheckFailure(found)
    value = D.require_scalar(got, what="SoftmaxCrossEntropy.forward")
    if not np.isclose(value, expected, rtol=LOSS_RTOL, atol=1e-12):
        found = D.cross_entropy_value_signature(case.logits, case.y, value, expected)
        if found is None and extreme:
            found = SIG.extreme_mismatch_signature(value, expected, what="SoftmaxCrossEntropy.forward")
        raise D.mismatch("wrong-forward", "SoftmaxCrossEntropy.forward differs from the mean over "
                         "the batch of -log softmax(logits)[i, y[i]]", actual=value,
                         expected=expected, found=found)
    return value


def check_ce_gradient(case: S.Classification, got, expected: np.ndarray, *,
                      against: str = "the reference (softmax - onehot) / N",
                      rtol: float = G.REFERENCE_RTOL, extreme: bool = False) -> np.ndarray:
    n = case.logits.shape[0]
    got = D.require_array(got, expected.shape, what="SoftmaxCrossEntropy.backward's output")
    if G.relative_error(got, expected) > rtol:
        what = "SoftmaxCrossEntropy.backward"
        found = D.first(
            lambda: D.overflow_signature(got, what=what),
            lambda: D.scale_signature(got, expected, what=what, n=n, advice={
                "N": f"{what} is N times too large: divide (softmax - onehot) by the batch size N"}),
            lambda: SIG.extreme_mismatch_signature(got, expected, what=what) if extreme else None)
        raise D.mismatch("wrong-gradient", f"{what} differs from {against}", actual=got,
                         expected=expected, found=found)
    return got


@title("SoftmaxCrossEntropy: forward is the mean loss")
@tags("cross-entropy")
@S.share(0.48)
@given(case=S.classifications())
def test_cross_entropy_forward(student, case):
    """forward(logits, y) = mean over the batch of -log softmax(logits)[i, y[i]], a float."""
    loss = student.new("losses", "SoftmaxCrossEntropy")
    expected, _ = reference_ce(case)
    check_ce_value(case, loss.call("forward", case.logits, case.y), expected)


@title("SoftmaxCrossEntropy: backward is (p - onehot) / N")
@tags("cross-entropy")
@S.share(0.48)
@given(case=S.classifications())
def test_cross_entropy_backward(student, case):
    """backward() = (softmax(logits) - onehot(y)) / N, shape (N, C)."""
    loss = student.new("losses", "SoftmaxCrossEntropy")
    _, got = loss.call_chain(("forward", (case.logits, case.y)), ("backward", ()))
    _, expected = reference_ce(case)
    check_ce_gradient(case, got, expected)


@title("SoftmaxCrossEntropy: backward matches numerical gradients")
@tags("cross-entropy")
@S.share(0.32)
@given(case=S.classifications(max_batch=4, max_classes=5))
def test_cross_entropy_gradient_numerical(student, case):
    """backward agrees with central differences of the student's own forward."""
    loss = student.new("losses", "SoftmaxCrossEntropy")
    numeric = G.numeric_vjp_each(lambda zs: [D.require_scalar(
        out, what="SoftmaxCrossEntropy.forward") for out in loss.call_each(
            "forward", [(z, case.y) for z in zs])], case.logits, 1.0)
    _, got = loss.call_chain(("forward", (case.logits, case.y)), ("backward", ()))
    found = D.forward_is_the_problem(got, reference_ce(case)[1], what="SoftmaxCrossEntropy")
    if found is not None and G.relative_error(got, numeric) > G.NUMERIC_RTOL:
        raise CheckFailure(found)
    check_ce_gradient(case, got, numeric, rtol=G.NUMERIC_RTOL,
                      against="the numerical gradient of your own forward")


@title("SoftmaxCrossEntropy: right for logits up to 1e3")
@tags("cross-entropy")
@S.share(0.48)
@given(case=S.classifications(extreme=True))
def test_cross_entropy_large_logits(student, case):
    """Logits up to +-1000: finite and correct loss and gradient."""
    loss = student.new("losses", "SoftmaxCrossEntropy")
    expected, expected_grad = reference_ce(case)
    check_ce_value(case, loss.call("forward", case.logits, case.y), expected, extreme=True)
    check_ce_gradient(case, loss.call("backward"), expected_grad, extreme=True)


@title("SoftmaxCrossEntropy: repeated calls agree")
@tags("cross-entropy")
@S.share(0.32)
@given(case=S.classifications())
def test_cross_entropy_repeated_backward(student, case):
    """forward leaves the logits unchanged; forward twice gives the same loss; backward() twice
    gives the same gradient (the cached probabilities are not edited in place)."""
    loss = student.new("losses", "SoftmaxCrossEntropy")
    expected, expected_grad = reference_ce(case)
    first_value = D.call_watched(loss, "forward", case.logits, case.y,
                                 what="SoftmaxCrossEntropy.forward")
    second_value = loss.call("forward", case.logits, case.y)
    if not np.isclose(D.require_scalar(second_value, what="SoftmaxCrossEntropy.forward"),
                      D.require_scalar(first_value, what="SoftmaxCrossEntropy.forward"),
                      rtol=LOSS_RTOL, atol=1e-12):
        raise D.mismatch("input-mutation", "", actual=second_value, expected=first_value,
                         found=D.repeat_mismatch(first_value, second_value, what="losses",
                                                 call="SoftmaxCrossEntropy.forward"))
    first_grad = loss.call("backward")
    second_grad = loss.call("backward")
    check_ce_gradient(case, first_grad, expected_grad)
    if not G.close(second_grad, first_grad):
        raise D.mismatch("input-mutation", "", actual=second_grad, expected=first_grad,
                         found=D.repeat_mismatch(first_grad, second_grad, what="gradients",
                                                 call="SoftmaxCrossEntropy.backward"))


# -- MSE -------------------------------------------------------------------------------------
def reference_mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    loss = ref_losses.MSELoss()
    value = loss.forward(pred, target)
    return value, loss.backward()


MSE_ADVICE = {
    "1/2": "MSELoss.backward is half the true gradient: d/dp mean((p - t)**2) = 2 (p - t) / (N*K); "
           "include the factor 2",
}


def check_mse_gradient(got, expected: np.ndarray, *, against: str, rtol: float) -> None:
    n, k = expected.shape
    got = D.require_array(got, expected.shape, what="MSELoss.backward's output")
    if G.relative_error(got, expected) > rtol:
        found = D.first(
            lambda: D.finite_signature(got, what="MSELoss.backward", diagnosis_id="wrong-gradient"),
            lambda: D.scale_signature(got, expected, what="MSELoss.backward", n=n, size=n * k, k=k,
                                      advice=MSE_ADVICE))
        raise D.mismatch("wrong-gradient", f"MSELoss.backward differs from {against}",
                         actual=got, expected=expected, found=found)


@title("MSELoss: forward is the mean squared error")
@tags("mse")
@S.share(0.4)
@given(case=S.regressions())
def test_mse_forward(student, case):
    """forward(pred, target) = mean over all N*K elements of (pred - target)**2, a float."""
    pred, target = case
    loss = student.new("losses", "MSELoss")
    expected, _ = reference_mse(pred, target)
    value = D.require_scalar(loss.call("forward", pred, target), what="MSELoss.forward")
    if not np.isclose(value, expected, rtol=LOSS_RTOL, atol=1e-12):
        found = D.first(
            lambda: D.loss_reduction_signature(value, expected, what="MSELoss.forward",
                                               n=pred.shape[0], size=pred.size),
            lambda: D.diagnosis("wrong-forward", "MSELoss.forward returns the mean absolute error; "
                                "square the differences: np.mean((pred - target)**2)")
            if np.isclose(value, np.mean(np.abs(pred - target))) else None,
            lambda: D.diagnosis("wrong-forward", "MSELoss.forward returns the root of the mean "
                                "squared error; do not take the square root")
            if np.isclose(value, np.sqrt(expected)) else None)
        raise D.mismatch("wrong-forward", "MSELoss.forward differs from np.mean((pred - target)**2)",
                         actual=value, expected=expected, found=found)


@title("MSELoss: backward is 2 (pred - target) / (N*K)")
@tags("mse")
@S.share(0.4)
@given(case=S.regressions())
def test_mse_backward(student, case):
    """backward() = 2 (pred - target) / (N*K), shape (N, K)."""
    pred, target = case
    loss = student.new("losses", "MSELoss")
    _, got = loss.call_chain(("forward", (pred, target)), ("backward", ()))
    _, expected = reference_mse(pred, target)
    check_mse_gradient(got, expected, against="2 (pred - target) / (N*K)",
                       rtol=G.REFERENCE_RTOL)


@title("MSELoss: backward matches numerical gradients")
@tags("mse")
@S.share(0.24)
@given(case=S.regressions(max_batch=4, max_features=5))
def test_mse_gradient_numerical(student, case):
    """backward agrees with central differences of the student's own forward."""
    pred, target = case
    loss = student.new("losses", "MSELoss")
    numeric = G.numeric_vjp_each(lambda ps: [D.require_scalar(out, what="MSELoss.forward")
                                             for out in loss.call_each("forward", [(p, target) for p in ps])],
                                 pred, 1.0)
    _, got = loss.call_chain(("forward", (pred, target)), ("backward", ()))
    found = D.forward_is_the_problem(got, reference_mse(pred, target)[1], what="MSELoss")
    if found is not None and G.relative_error(got, numeric) > G.NUMERIC_RTOL:
        raise CheckFailure(found)
    check_mse_gradient(got, numeric, rtol=G.NUMERIC_RTOL,
                       against="the numerical gradient of your own forward")


@title("MSELoss: a second backward gives the same gradient")
@tags("mse")
@S.share(0.24)
@given(case=S.regressions())
def test_mse_repeated_backward(student, case):
    """forward leaves pred unchanged; backward() twice gives the same gradient (nothing cached is
    edited in place)."""
    pred, target = case
    loss = student.new("losses", "MSELoss")
    D.call_watched(loss, "forward", pred, target, what="MSELoss.forward")
    first_grad = loss.call("backward")
    second_grad = loss.call("backward")
    _, expected = reference_mse(pred, target)
    check_mse_gradient(first_grad, expected, against="2 (pred - target) / (N*K)",
                       rtol=G.REFERENCE_RTOL)
    if not G.close(second_grad, first_grad):
        raise D.mismatch("input-mutation", "", actual=second_grad, expected=first_grad,
                         found=D.repeat_mismatch(first_grad, second_grad, what="gradients",
                                                 call="MSELoss.backward"))
