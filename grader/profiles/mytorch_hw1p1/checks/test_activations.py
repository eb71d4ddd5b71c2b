"""MyTorch activations: forward(Z) -> A, backward(dLdA) -> dLdZ (3.0.x), every class of
mytorch/nn/activation.py; Softmax is row-wise with each row's full Jacobian in backward.

Beyond the course's fixed inputs: Hypothesis shapes, numerical gradients of the student's
own forward, large inputs, batch independence and inputs left unchanged. No 3.0.x build tests
inputs of magnitude ~1e3 except the S25 and S26 builds' Softmax test, and none edits inputs,
so those checks are beyond the course (reported, no points) except Softmax's in S25/S26
(Release.course_tests). S25 and S26 fail a Tanh that calls np.tanh: a finding there only.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, beyond_course, fail, not_assigned, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import releases
from grader.profiles.mytorch_hw1p1.checking import (COURSE_SHAPES, FLOAT32_SCALE, NUMERIC_ATOL, ONE_SAMPLE,
                                                    course_array,
                                                    expect_course_close, expect_unchanged,
                                                    within_course_precision)
from grader.profiles.mytorch_hw1p1.source import calls_in_method

TAG = {"Identity": "identity", "Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "GELU": "gelu",
       "Softmax": "softmax"}
FORMULA = {"Identity": "A = Z", "Sigmoid": "A = 1 / (1 + exp(-Z))", "Tanh": "A = tanh(Z)",
           "ReLU": "A = max(Z, 0)", "GELU": "A = Z / 2 * (1 + erf(Z / sqrt(2)))",
           "Softmax": "A = exp(Z) / exp(Z).sum(axis=1, keepdims=True), row by row"}
ALL = tuple(pytest.param(name, marks=tags("activations", TAG[name]), id=name) for name in TAG)
BOUNDED = tuple(pytest.param(name, marks=tags("activations", TAG[name]), id=name)
                for name in ("Sigmoid", "Tanh", "Softmax"))
_SIGNATURE_KIND = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu"}
LARGE = ("no 3.0.x autograder build tests activations at |Z| ~ 1e3 (the S25 and S26 builds "
         "test Softmax only, scored there)")
MUTATION = "the course's autograder never checks that inputs are left unchanged"
#: How to keep an activation finite at |Z| ~ 1e3, in the release's terms (S25 forbids np.tanh).
STABLE_FORWARD = {
    "Sigmoid": "never exponentiate a large positive number: use exp(-|Z|)",
    "Tanh": "use np.tanh, or exp of -2|Z| only: sign(Z) (1 - exp(-2|Z|)) / (1 + exp(-2|Z|))",
    "Softmax": "subtract each row's max before exp",
}
TANH_WITHOUT_NP_TANH = ("your release's autograder forbids np.tanh: compute it from exp of -2|Z| "
                        "only, sign(Z) (1 - exp(-2|Z|)) / (1 + exp(-2|Z|)), and the derivative "
                        "as 1 - A**2 from the cached A")


def stable_advice(name: str, release) -> str:
    if name == "Tanh" and releases.forbids_np_tanh(release):
        return TANH_WITHOUT_NP_TANH
    return STABLE_FORWARD.get(name, "never exponentiate a large positive number")


def overflow_id(name: str, stage: str) -> str:
    """Softmax's overflow is softmax-overflow; any other activation's is a wrong value."""
    return "softmax-overflow" if name == "Softmax" else stage


def forward_signatures(name: str, Z: np.ndarray, actual: object):
    if name == "Softmax":
        return (lambda: D.softmax_axis_signature(actual),)
    return ()


def backward_signatures(name: str, Z: np.ndarray, dLdA: np.ndarray, actual: object):
    kind = _SIGNATURE_KIND.get(name)
    found = []
    if kind is not None:
        found.append(lambda: D.activation_backward_signature(kind, Z, dLdA, actual))
    if name == "Softmax":
        A = R.softmax(Z)
        found.append(lambda: D.diagnosis(
            "wrong-gradient", "Softmax.backward multiplies by the diagonal a (1 - a) only: apply "
            "each row's full Jacobian diag(a) - a a^T to its dLdA row")
            if D.matches(actual, dLdA * A * (1 - A)) else None)
    return tuple(found)


def check_forward(face, name: str, Z: np.ndarray) -> np.ndarray:
    out = face.forward(Z)
    return expect_course_close(out, R.ACTIVATION_FORWARD[name](Z), what=f"{name}.forward's A",
                               formula=FORMULA[name], diagnosis_id="wrong-forward",
                               signatures=forward_signatures(name, Z, out))


def check_backward(face, name: str, Z: np.ndarray, dLdA: np.ndarray) -> np.ndarray:
    """dLdZ against the definition. Errors are measured against dLdA's size as well: a float32
    A (which the course accepts) leaves ~1e-7 of it in a small Softmax Jacobian product."""
    out = face.backward(dLdA)
    return expect_course_close(out, R.ACTIVATION_BACKWARD[name](Z, dLdA), what=f"{name}.backward's dLdZ",
                               formula="dLdZ = dLdA * dA/dZ" if name != "Softmax" else
                               "dLdZ[i] = dLdA[i] @ (diag(a_i) - a_i a_i^T)",
                               atol=FLOAT32_SCALE * G.max_abs(dLdA),
                               signatures=backward_signatures(name, Z, dLdA, out))


@title("{name}: forward matches the definition")
@pytest.mark.parametrize("name", ALL)
@S.share(0.3)
@given(case=S.activation_cases(**COURSE_SHAPES))
def test_forward(mytorch, name, case):
    """forward(Z) returns A of Z's shape, by the activation's definition."""
    check_forward(mytorch.activation(name), name, case.x)


@title("{name}: backward returns dLdZ")
@pytest.mark.parametrize("name", ALL)
@S.share(0.3)
@given(case=S.activation_cases(**COURSE_SHAPES))
def test_backward(mytorch, name, case):
    """backward(dLdA) after forward(Z) returns dLdZ = dLdA * dA/dZ (Softmax: the row Jacobian)."""
    face = mytorch.activation(name)
    face.forward(case.x)
    check_backward(face, name, case.x, case.grad_out)


@title("{name}: backward matches numerical gradients")
@pytest.mark.parametrize("name", ALL)
@S.share(0.2)
@given(case=S.activation_cases(max_batch=4, max_features=5, **COURSE_SHAPES))
def test_gradient_numerical(mytorch, name, case):
    """backward agrees with central differences of the student's own forward."""
    face = mytorch.activation(name)
    if np.asarray(face.forward(case.x)).dtype == np.float32:
        # Central differences of a float32 forward are round-off (the course accepts float32):
        # backward is judged against the definition, at float32's precision.
        check_backward(face, name, case.x, case.grad_out)
        return
    face.forward(case.x)
    out = face.backward(case.grad_out)
    numeric = G.numeric_vjp_each(face.forward_each, case.x, case.grad_out, analytic=out)
    try:
        expect_course_close(out, numeric, what=f"{name}.backward's dLdZ", formula="dLdZ = dLdA * dA/dZ",
                            rtol=1e-5, expected_from="central differences of your forward", atol=NUMERIC_ATOL,
                            signatures=backward_signatures(name, case.x, case.grad_out, out))
    except CheckFailure as exc:
        if within_course_precision((face.forward(case.x), face.backward(case.grad_out)),
                                   (R.ACTIVATION_FORWARD[name](case.x),
                                    R.ACTIVATION_BACKWARD[name](case.x, case.grad_out))):
            return  # float32 arithmetic: central differences of it are round-off
        found = D.forward_is_the_problem(out, R.ACTIVATION_BACKWARD[name](case.x, case.grad_out),
                                         what=name)
        if found is not None:
            raise CheckFailure(found) from exc
        raise


@title("{name}: right for Z up to 1e3")
@beyond_course(LARGE)
@pytest.mark.parametrize("name", BOUNDED)
@S.share(0.2)
@given(Z=S.logits(extreme=True))
def test_large_inputs(mytorch, release, name, Z):
    """|Z| up to 1e3: A and dLdZ stay finite and right (no overflow in exp)."""
    face = mytorch.activation(name)
    with np.errstate(all="ignore"):
        expected = R.ACTIVATION_FORWARD[name](Z)
    out = face.forward(Z)
    arr, _ = course_array(out, Z.shape, what=f"{name}.forward's A")
    if not np.all(np.isfinite(arr)) or not G.close(arr, expected, rtol=1e-6):
        fail(overflow_id(name, "wrong-forward"),
             f"{name}.forward gives {'inf/NaN' if not np.all(np.isfinite(arr)) else 'wrong values'} "
             f"for inputs of magnitude up to {np.abs(Z).max():.0f}: np.exp of a large number "
             f"overflows; {stable_advice(name, release)}")
    g = np.ones_like(Z)
    grad, _ = course_array(face.backward(g), Z.shape, what=f"{name}.backward's dLdZ")
    if not np.all(np.isfinite(grad)):
        fail(overflow_id(name, "wrong-gradient"), f"{name}.backward gives inf/NaN for inputs of "
             f"magnitude up to {np.abs(Z).max():.0f}: compute the derivative from the (finite) cached A")


@title("Tanh: forward does not call np.tanh")
@beyond_course("only the S25 and S26 autograders forbid np.tanh (scored there)")
@tags("activations", "tanh")
def test_tanh_without_np_tanh(mytorch, student, release):
    """S25 and S26: the autograder replaces np.tanh with a function that raises, then calls
    Tanh.forward; the writeup asks for tanh built from exp. Read from the source, never run."""
    if not releases.forbids_np_tanh(release):
        not_assigned("only the S25 and S26 autograders forbid np.tanh; this release allows it")
    used = calls_in_method(student.sandbox.submission_dir, releases.ACTIVATION_FILE, "Tanh",
                           "forward", "tanh")
    if used:
        fail("forbidden-import", f"Tanh.forward calls np.tanh (line {used[0]}), which your "
             "release's autograder forbids (its test fails the whole Activation section): "
             + TANH_WITHOUT_NP_TANH.split(": ", 1)[1])


@title("Softmax: a row ignores the other rows")
@tags("activations", "softmax", "robustness")
@S.share(0.2)
@given(case=S.activation_cases(**COURSE_SHAPES))
def test_softmax_batch_independence(mytorch, case):
    """Softmax of a row does not depend on the other rows."""
    face = mytorch.activation("Softmax")
    out = check_forward(face, "Softmax", case.x)
    changed = case.x.copy()
    changed[1:] = -changed[1:] * 3.0
    row = np.asarray(face.forward(changed), dtype=np.float64)[0]
    if not G.close(row, out[0]):
        raise D.mismatch("batch-dependence", "", actual=row, expected=out[0],
                         found=D.batch_dependence_diagnosis(what="Softmax.forward"))


@title("{name}: forward and backward keep inputs unchanged")
@beyond_course(MUTATION)
@pytest.mark.parametrize("name", ALL)
@S.share(0.15)
@given(case=S.activation_cases(**COURSE_SHAPES))
def test_inputs_unchanged(mytorch, name, case):
    """forward leaves Z and backward leaves dLdA unchanged; a second backward gives the same dLdZ."""
    face = mytorch.activation(name)
    D.call_watched(face.remote, "forward", case.x, what=f"{name}.forward")
    first = face.backward_watched(case.grad_out)
    expect_unchanged(first, face.backward(case.grad_out), what="dLdZ", call=f"{name}.backward")


@title("{name}: backward is right for Z up to 1e3")
@beyond_course(LARGE)
@pytest.mark.parametrize("name", ALL)
@S.share(0.2)
@given(case=S.activation_cases(bound=S.EXTREME, away_from_zero=30.0))
def test_backward_large_inputs(mytorch, release, name, case):
    """|Z| up to 1e3 (float64): dLdZ is finite and equals dLdA * dA/dZ there; a derivative
    through exp(-Z) or (e^Z - e^-Z) / (e^Z + e^-Z) overflows to NaN."""
    face = mytorch.activation(name)
    face.forward(case.x)
    out = face.backward(case.grad_out)
    with np.errstate(all="ignore"):
        expected = R.ACTIVATION_BACKWARD[name](case.x, case.grad_out)
    kind = TAG[name]
    # S25 forbids np.tanh: the shared advice (which recommends it) is not given there.
    advice_kind = "tanh-from-exp" if name == "Tanh" and releases.forbids_np_tanh(release) else kind
    advice = (TANH_WITHOUT_NP_TANH if advice_kind != kind else
              D.STABLE_DERIVATIVE.get(kind, "never exponentiate a large positive number"))
    # Saturated derivatives are tiny (a Softmax row's Jacobian is ~1 - 1 there): measure
    # errors against dLdA's size, where round-off lives.
    expect_course_close(out, expected, what=f"{name}.backward's dLdZ", atol=G.max_abs(case.grad_out),
                        formula=f"dLdZ = dLdA * dA/dZ, finite for |Z| up to {np.abs(case.x).max():.0f}: "
                        f"{advice}",
                        signatures=(lambda: D.activation_overflow_signature(
                     advice_kind, case.x, out, what=f"{name}.backward"),
                     *backward_signatures(name, case.x, case.grad_out, out)))


@title("{name}: a batch of one sample keeps its shape (1, C)")
@beyond_course(ONE_SAMPLE)
@pytest.mark.parametrize("name", ALL)
def test_one_sample(mytorch, name):
    """forward and backward of a (1, 3) batch return (1, 3) arrays (no np.squeeze)."""
    Z = np.array([[0.5, -1.5, 2.0]])
    face = mytorch.activation(name)
    check_forward(face, name, Z)
    check_backward(face, name, Z, np.array([[0.3, -0.2, 0.1]]))


@title("Swish: forward, backward and dLdbeta")
@beyond_course("only the S26 handout has Swish (scored there)")
@tags("activations")
@S.share(0.2)
@given(case=S.activation_cases(**COURSE_SHAPES))
def test_swish(mytorch, release, case):
    """S26: Swish() with beta = 1: A = Z * sigmoid(beta Z), backward(dLdA) returns dLdZ and
    keeps dLdbeta = sum(dLdA * dA/dbeta), as the S26 autograder reads them."""
    if not releases.has_swish(release):
        not_assigned("Swish is part of the S26 handout only")
    face = mytorch.activation("Swish")
    Z, dLdA = case.x, case.grad_out
    expect_course_close(face.forward(Z), R.swish(Z), what="Swish.forward's A", diagnosis_id="wrong-forward",
                        formula="A = Z * sigmoid(beta * Z), beta = 1")
    dLdZ, dLdbeta = R.swish_backward(Z, dLdA)
    expect_course_close(face.backward(dLdA), dLdZ, what="Swish.backward's dLdZ",
                        formula="dLdZ = dLdA * (s + beta Z s (1 - s)), s = sigmoid(beta Z)")
    raw = face.remote.get("dLdbeta")
    if raw is None or not D._numeric(raw) or np.asarray(raw).size != 1:
        fail("shape-mismatch", f"Swish.dLdbeta is {D.fmt(raw) if raw is not None else 'None'}: "
             "backward keeps one number, dLdbeta = sum(dLdA * Z**2 * s (1 - s))")
    expect_course_close(np.asarray(raw, dtype=np.float64).reshape(()), np.asarray(dLdbeta),
                        what="Swish.dLdbeta", formula="dLdbeta = sum(dLdA * Z**2 * s (1 - s)), summed "
                        "over the batch and the features")
