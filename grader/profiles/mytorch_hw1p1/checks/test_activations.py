"""MyTorch activations: forward(Z) -> A, backward(dLdA) -> dLdZ (3.0.x), every class of
mytorch/nn/activation.py; Softmax is row-wise with each row's full Jacobian in backward.

Beyond the course's fixed inputs: Hypothesis shapes, numerical gradients of the student's
own forward, large inputs, batch independence and inputs left unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1.checking import expect_close, expect_unchanged

TAG = {"Identity": "identity", "Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "GELU": "gelu",
       "Softmax": "softmax"}
FORMULA = {"Identity": "A = Z", "Sigmoid": "A = 1 / (1 + exp(-Z))", "Tanh": "A = tanh(Z)",
           "ReLU": "A = max(Z, 0)", "GELU": "A = Z / 2 * (1 + erf(Z / sqrt(2)))",
           "Softmax": "A = exp(Z) / exp(Z).sum(axis=1, keepdims=True), row by row"}
ALL = tuple(pytest.param(name, marks=tags("activations", TAG[name]), id=name) for name in TAG)
BOUNDED = tuple(pytest.param(name, marks=tags("activations", TAG[name]), id=name)
                for name in ("Sigmoid", "Tanh", "Softmax"))
_SIGNATURE_KIND = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu"}


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
    return expect_close(out, R.ACTIVATION_FORWARD[name](Z), what=f"{name}.forward's A",
                        formula=FORMULA[name], diagnosis_id="wrong-forward",
                        signatures=forward_signatures(name, Z, out))


def check_backward(face, name: str, Z: np.ndarray, dLdA: np.ndarray) -> np.ndarray:
    out = face.backward(dLdA)
    return expect_close(out, R.ACTIVATION_BACKWARD[name](Z, dLdA), what=f"{name}.backward's dLdZ",
                        formula="dLdZ = dLdA * dA/dZ" if name != "Softmax" else
                        "dLdZ[i] = dLdA[i] @ (diag(a_i) - a_i a_i^T)",
                        signatures=backward_signatures(name, Z, dLdA, out))


@title("{name}: forward matches the definition")
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=S.examples(0.3))
@given(case=S.activation_cases())
def test_forward(mytorch, name, case):
    """forward(Z) returns A of Z's shape, by the activation's definition."""
    check_forward(mytorch.activation(name), name, case.x)


@title("{name}: backward returns dLdZ")
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=S.examples(0.3))
@given(case=S.activation_cases())
def test_backward(mytorch, name, case):
    """backward(dLdA) after forward(Z) returns dLdZ = dLdA * dA/dZ (Softmax: the row Jacobian)."""
    face = mytorch.activation(name)
    face.forward(case.x)
    check_backward(face, name, case.x, case.grad_out)


@title("{name}: backward matches numerical gradients")
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=S.examples(0.2))
@given(case=S.activation_cases(max_batch=4, max_features=5))
def test_gradient_numerical(mytorch, name, case):
    """backward agrees with central differences of the student's own forward."""
    face = mytorch.activation(name)
    numeric = G.numeric_vjp(face.forward, case.x, case.grad_out)
    face.forward(case.x)
    out = face.backward(case.grad_out)
    try:
        expect_close(out, numeric, what=f"{name}.backward's dLdZ", formula="dLdZ = dLdA * dA/dZ",
                     rtol=1e-5, expected_from="central differences of your forward",
                     signatures=backward_signatures(name, case.x, case.grad_out, out))
    except CheckFailure as exc:
        found = D.forward_is_the_problem(out, R.ACTIVATION_BACKWARD[name](case.x, case.grad_out),
                                         what=name)
        if found is not None:
            raise CheckFailure(found) from exc
        raise


@title("{name}: right for Z up to 1e3")
@pytest.mark.parametrize("name", BOUNDED)
@settings(max_examples=S.examples(0.2))
@given(Z=S.logits(extreme=True))
def test_large_inputs(mytorch, name, Z):
    """|Z| up to 1e3: A and dLdZ stay finite and right (no overflow in exp)."""
    face = mytorch.activation(name)
    with np.errstate(all="ignore"):
        expected = R.ACTIVATION_FORWARD[name](Z)
    out = face.forward(Z)
    arr = D.require_array(out, Z.shape, what=f"{name}.forward's A")
    if not np.all(np.isfinite(arr)) or not G.close(arr, expected, rtol=1e-6):
        fail("softmax-overflow", f"{name}.forward gives {'inf/NaN' if not np.all(np.isfinite(arr)) else 'wrong values'} "
             f"for inputs of magnitude up to {np.abs(Z).max():.0f}: "
             + ("subtract each row's max before exp" if name == "Softmax" else
                "never exponentiate a large positive number (use exp(-|Z|), or np.tanh)"))
    g = np.ones_like(Z)
    grad = D.require_array(face.backward(g), Z.shape, what=f"{name}.backward's dLdZ")
    if not np.all(np.isfinite(grad)):
        fail("softmax-overflow", f"{name}.backward gives inf/NaN for inputs of magnitude up to "
             f"{np.abs(Z).max():.0f}: compute the derivative from the (finite) cached A")


@title("Softmax: a row ignores the other rows")
@tags("activations", "softmax", "robustness")
@settings(max_examples=S.examples(0.2))
@given(case=S.activation_cases(min_batch=2))
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
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=S.examples(0.15))
@given(case=S.activation_cases())
def test_inputs_unchanged(mytorch, name, case):
    """forward leaves Z and backward leaves dLdA unchanged; a second backward gives the same dLdZ."""
    face = mytorch.activation(name)
    D.call_watched(face.remote, "forward", case.x, what=f"{name}.forward")
    first = face.backward_watched(case.grad_out)
    expect_unchanged(first, face.backward(case.grad_out), what="dLdZ", call=f"{name}.backward")


@title("{name}: backward is right for Z up to 1e3")
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=S.examples(0.2))
@given(case=S.activation_cases(bound=S.EXTREME, away_from_zero=30.0))
def test_backward_large_inputs(mytorch, name, case):
    """|Z| up to 1e3 (float64): dLdZ is finite and equals dLdA * dA/dZ there; a derivative
    through exp(-Z) or (e^Z - e^-Z) / (e^Z + e^-Z) overflows to NaN."""
    face = mytorch.activation(name)
    face.forward(case.x)
    out = face.backward(case.grad_out)
    with np.errstate(all="ignore"):
        expected = R.ACTIVATION_BACKWARD[name](case.x, case.grad_out)
    kind = TAG[name]
    # Saturated derivatives are tiny (a Softmax row's Jacobian is ~1 - 1 there): measure
    # errors against dLdA's size, where round-off lives.
    expect_close(out, expected, what=f"{name}.backward's dLdZ", atol=G.max_abs(case.grad_out),
                 formula=f"dLdZ = dLdA * dA/dZ, finite for |Z| up to {np.abs(case.x).max():.0f}: "
                 f"{D.STABLE_DERIVATIVE.get(kind, 'never exponentiate a large positive number')}",
                 signatures=(lambda: D.activation_overflow_signature(
                     kind, case.x, out, what=f"{name}.backward"),
                     *backward_signatures(name, case.x, case.grad_out, out)))
