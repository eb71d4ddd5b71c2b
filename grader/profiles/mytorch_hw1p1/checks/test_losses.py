"""MyTorch losses: MSELoss (SSE / (N C), gradient 2 (A - Y) / (N C)) and CrossEntropyLoss
(one-hot Y; mean over N of -sum Y log softmax(A), gradient (softmax(A) - Y) / N).
A loss value may be a NumPy scalar (as in the course), a 0-d array or a Python float, float32
or float64; a loss that is not one number is charged once, by the forward check. The course
compares the loss to 4 decimals, so an eps inside a log (np.log(p + 1e-8)) is not a finding.
No build tests logits of magnitude ~1e3 or inputs edited in place: beyond the course."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, beyond_course, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS
from grader.profiles.mytorch_hw1p1 import v2
from grader.profiles.mytorch_hw1p1 import v2_course as C
from grader.profiles.mytorch_hw1p1.checking import (FLOAT32_RTOL, NUMERIC_ATOL, expect_course_close,
                                                    expect_unchanged)

MSE = pytest.param("MSELoss", marks=tags("losses", "mse"), id="MSELoss")
CE = pytest.param("CrossEntropyLoss", marks=tags("losses", "cross-entropy"), id="CrossEntropyLoss")
DEFINITION = {"MSELoss": (R.mse, "L = sum((A - Y) ** 2) / (N * C)", "dLdA = 2 * (A - Y) / (N * C)"),
              "CrossEntropyLoss": (R.cross_entropy, "L = mean over N of -sum(Y * log softmax(A), axis=1)",
                                   "dLdA = (softmax(A) - Y) / N")}
#: How close a loss value must be: the course rounds it to 4 decimals (atol 1e-4); an eps of
#: 1e-8 to 1e-12 inside a log moves it by far less, a wrong reduction by far more.
LOSS_RTOL = 1e-4


def formula(face, name: str, part: int) -> str:
    """The definition a hint quotes: part 1 the value, 2 the gradient, in the release's words
    (2.0.x: v2.py; the adapter compares its values in 3.0.x units)."""
    if face.legacy:
        key = f"{name}.{'forward' if part == 1 else 'backward'}"
        return v2.FORMULAS.get(f"{key} early", v2.FORMULAS[key]) if face.early else v2.FORMULAS[key]
    return DEFINITION[name][part]


def course_replay(mytorch, name: str):
    """A failure the 2.0.1 autograder's own loss test would not see is marked as such."""
    return C.missed_by_course(mytorch.legacy, lambda: C.loss_passes(mytorch, name),
                              C.LOSS_MISSED.format(name=name))


def case_arrays(name: str, case: S.Classification) -> tuple[np.ndarray, np.ndarray]:
    """A (N, C) and the target Y (N, C): one-hot for cross-entropy, real-valued for MSE."""
    Y = R.one_hot(case.y, case.logits.shape[1])
    if name == "MSELoss":
        Y = Y + np.random.default_rng(case.logits.shape[0]).uniform(-1, 1, size=Y.shape)
    return case.logits, Y


def value_signature(name: str, A: np.ndarray, y: np.ndarray, value: float, expected: float):
    if name == "CrossEntropyLoss":
        return D.cross_entropy_value_signature(A, y, value, expected)
    return D.loss_reduction_signature(value, expected, what="MSELoss.forward", n=A.shape[0], size=A.size)


def check_value(face, name: str, A: np.ndarray, Y: np.ndarray, y: np.ndarray) -> float:
    value = face.forward(A, Y, strict=True)
    expected, _ = DEFINITION[name][0](A, Y)
    if not np.isclose(value, expected, rtol=LOSS_RTOL, atol=1e-6):
        found = value_signature(name, A, y, value, expected)
        raise D.mismatch("wrong-forward", f"{name}.forward differs from {formula(face, name, 1)}",
                         actual=value, expected=expected, found=found)
    return value


@title("{name}: forward matches the definition")
@pytest.mark.parametrize("name", [MSE, CE])
@S.share(0.4)
@given(case=S.classifications())
def test_forward(mytorch, name, case):
    """The loss value, for any batch size and number of classes."""
    A, Y = case_arrays(name, case)
    with course_replay(mytorch, name):
        check_value(mytorch.loss(name), name, A, Y, case.y)


@title("{name}: backward returns dLdA of the mean loss")
@pytest.mark.parametrize("name", [MSE, CE])
@S.share(0.4)
@given(case=S.classifications())
def test_backward(mytorch, name, case):
    """backward() returns dLdA of the mean loss (the 1/N is here, not in Linear)."""
    A, Y = case_arrays(name, case)
    face = mytorch.loss(name)
    face.forward(A, Y)
    _, expected = DEFINITION[name][0](A, Y)
    got = face.backward()
    what = f"{name}.backward's dLdA"
    with course_replay(mytorch, name):
        expect_course_close(got, expected, what=what, formula=formula(face, name, 2), n=A.shape[0],
                     signatures=(lambda: MS.division_precedence_signature(
                         got, expected, classes=A.shape[1], what=what),))


@title("{name}: backward matches numerical gradients")
@pytest.mark.parametrize("name", [MSE, CE])
@S.share(0.2)
@given(case=S.classifications(max_batch=4, max_classes=5))
def test_gradient_numerical(mytorch, name, case):
    """backward() agrees with central differences of the student's own forward."""
    A, Y = case_arrays(name, case)
    face = mytorch.loss(name)
    if np.asarray(face.remote.call("forward", A, Y)).dtype == np.float32:
        # Central differences of a float32 loss are round-off (the course accepts float32):
        # backward is judged against the definition, at float32's precision.
        expect_course_close(face.backward(), DEFINITION[name][0](A, Y)[1], what=f"{name}.backward's dLdA",
                            formula=DEFINITION[name][2], n=A.shape[0])
        return
    face.forward(A, Y)
    got = face.backward()
    numeric = G.numeric_vjp_each(lambda As: face.forward_each(As, Y), A, 1.0, analytic=got)
    with course_replay(mytorch, name):
        try:
            expect_course_close(got, numeric, what=f"{name}.backward's dLdA", formula=formula(face, name, 2),
                                n=A.shape[0], rtol=1e-5, expected_from="central differences of your forward",
                                atol=NUMERIC_ATOL)
        except CheckFailure as exc:
            value, (expected, gradient) = face.forward(A, Y), DEFINITION[name][0](A, Y)
            if np.isclose(value, expected, rtol=LOSS_RTOL, atol=1e-6) \
                    and D.matches(got, gradient, rtol=FLOAT32_RTOL):
                # The forward passes the forward check (an eps inside a log, as the course
                # accepts) and backward is the definition's: central differences only see the
                # eps where a probability is ~1e-8.
                return
            found = D.forward_is_the_problem(got, gradient, what=name)
            if found is not None:
                raise CheckFailure(found) from exc
            raise


@title("CrossEntropyLoss: right for logits up to 1e3")
@beyond_course("no 3.0.x autograder build tests CrossEntropyLoss at logits of magnitude ~1e3")
@tags("losses", "cross-entropy")
@S.share(0.3)
@given(case=S.classifications(extreme=True))
def test_cross_entropy_large_logits(mytorch, case):
    """Logits of magnitude up to 1e3 give a finite, right loss and gradient."""
    A, Y = case_arrays("CrossEntropyLoss", case)
    face = mytorch.loss("CrossEntropyLoss")
    value = face.forward(A, Y)
    expected, grad = R.cross_entropy(A, Y)
    if not np.isfinite(value) or not np.isclose(value, expected, rtol=1e-6):
        fail("softmax-overflow", f"CrossEntropyLoss.forward gives {value:.6g} (expected {expected:.6g}) "
             f"for logits of magnitude ~1e3: {large_logit_cause(value)}")
    got = D.require_array(face.backward(), A.shape, what="CrossEntropyLoss.backward's dLdA")
    if not np.all(np.isfinite(got)) or not G.close(got, grad, rtol=1e-6):
        fail("softmax-overflow", "CrossEntropyLoss.backward is inf/NaN or wrong for logits of "
             "magnitude ~1e3: compute softmax with each row's max subtracted before exp")


def large_logit_cause(value: float) -> str:
    """What makes a cross-entropy value wrong at |A| ~ 1e3, from the value it gave."""
    if np.isnan(value):
        return ("NaN comes from inf / inf (exp overflowed: subtract each row's max before exp) or "
                "from 0 * log 0 (a probability that underflowed to 0, times its zero label): take "
                "log softmax as (A - max) - log(sum(exp(A - max))), never log of a probability")
    if np.isinf(value):
        return ("a probability underflowed to 0 and log gave -inf: take log softmax as "
                "(A - max) - log(sum(exp(A - max))), never log of a probability")
    return ("the value is finite but off: an eps or clip around a probability that underflowed "
            "dominates it; take log softmax as (A - max) - log(sum(exp(A - max)))")


@title("{name}: forward and backward keep inputs unchanged")
@beyond_course("the course's autograder never checks that inputs are left unchanged")
@pytest.mark.parametrize("name", [MSE, CE])
@S.share(0.2)
@given(case=S.classifications())
def test_inputs_unchanged(mytorch, name, case):
    """forward leaves A unchanged; two backward calls give the same dLdA."""
    A, Y = case_arrays(name, case)
    face = mytorch.loss(name)
    D.call_watched(face.remote, "forward", A, Y, what=f"{name}.forward")
    first = face.backward()
    expect_unchanged(first, face.backward(), what="dLdA", call=f"{name}.backward")


@title("CrossEntropyLoss: a row ignores the other rows")
@tags("losses", "robustness")
@S.share(0.2)
@given(case=S.classifications(min_batch=2))
def test_cross_entropy_batch_independence(mytorch, case):
    """Each row of CrossEntropyLoss.backward depends on its own row only (and 1/N)."""
    A, Y = case_arrays("CrossEntropyLoss", case)
    face = mytorch.loss("CrossEntropyLoss")
    face.forward(A, Y)
    first = np.asarray(face.backward(), dtype=np.float64)
    changed = A.copy()
    changed[1:] = changed[1:] * -2.0 + 1.0
    face.forward(changed, Y)
    row = np.asarray(face.backward(), dtype=np.float64)[0]
    if not G.close(row, first[0]):
        raise D.mismatch("batch-dependence", "", actual=row, expected=first[0],
                         found=D.batch_dependence_diagnosis(what="CrossEntropyLoss.backward"))
