"""Checks of layers.ReLU, layers.Sigmoid and layers.Tanh, each under its own tag.

Inputs keep |x| >= 0.1 in every gradient check, so ReLU's kink at 0 (where
any value in [0, 1] is a valid subgradient, and `x >= 0` is as right as
`x > 0`) never decides a result.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import tags, title
from reference import layers as ref_layers

CLASSES = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
REFERENCE = {"relu": ref_layers.ReLU, "sigmoid": ref_layers.Sigmoid, "tanh": ref_layers.Tanh}
FORMULAS = {"relu": "max(x, 0)", "sigmoid": "1 / (1 + exp(-x))", "tanh": "tanh(x)"}
DERIVATIVES = {"relu": "grad_out * (x > 0)", "sigmoid": "grad_out * s * (1 - s)",
               "tanh": "grad_out * (1 - t**2)"}

ACTIVATIONS = [pytest.param(kind, marks=tags(kind), id=kind) for kind in CLASSES]


def make(student, kind: str):
    return student.new("layers", CLASSES[kind])


def reference_forward(kind: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return REFERENCE[kind]().forward(x)


def reference_backward(kind: str, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    layer = REFERENCE[kind]()
    with np.errstate(all="ignore"):
        layer.forward(x)
        return layer.backward(g)


def forward_signature(kind: str, x: np.ndarray, actual) -> object:
    name = CLASSES[kind]
    return D.first(
        lambda: D.finite_signature(actual, what=f"{name}.forward", advice=(
            "for large |x| use the form that only calls exp of a non-positive number")),
        lambda: D.batch_dependence_diagnosis(what=f"{name}.forward centres the batch")
        if x.shape[0] > 1 and D.matches(actual, reference_forward(kind, x - x.mean(axis=0)))
        else None,
        lambda: D.precision_signature(actual, reference_forward(kind, x),
                                      what=f"{name}.forward's output"),
    )


def check_forward(student, kind: str, x: np.ndarray):
    layer = make(student, kind)
    out = layer.call("forward", x)
    expected = reference_forward(kind, x)
    name = CLASSES[kind]
    out = D.require_array(out, expected.shape, what=f"{name}.forward's output")
    if not G.close(out, expected):
        raise D.mismatch("wrong-forward", f"{name}.forward differs from {FORMULAS[kind]}",
                         actual=out, expected=expected, found=forward_signature(kind, x, out))
    return layer, out


@title("{kind}: forward matches the formula", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.4)
@given(x=S.batches(bound=8.0))
def test_forward(student, kind, x):
    """forward(x) is the activation applied element-wise; same shape, float64."""
    check_forward(student, kind, x)


@title("{kind}: forward is right for inputs up to 1e3", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.24)
@given(x=S.batches(bound=S.EXTREME, away_from_zero=30.0))
def test_forward_large_inputs(student, kind, x):
    """|x| up to 1000: finite and correct (0 or 1 for sigmoid, +-1 for tanh)."""
    check_forward(student, kind, x)


def check_backward(student, kind: str, case: S.ActivationCase, got=None):
    name = CLASSES[kind]
    if got is None:
        _, (_, got) = student.new_then("layers", CLASSES[kind], [("forward", (case.x,)),
                                                                 ("backward", (case.grad_out,))])
    expected = reference_backward(kind, case.x, case.grad_out)
    got = D.require_array(got, expected.shape, what=f"{name}.backward's output")
    if not G.close(got, expected):
        found = D.first(
            lambda: D.finite_signature(got, what=f"{name}.backward", diagnosis_id="wrong-gradient"),
            lambda: D.activation_backward_signature(kind, case.x, case.grad_out, got),
            lambda: D.precision_signature(got, expected, what=f"{name}.backward's output"),
            lambda: D.scale_signature(got, expected, what=f"{name}.backward"),
        )
        raise D.mismatch("wrong-gradient", f"{name}.backward differs from {DERIVATIVES[kind]}",
                         actual=got, expected=expected, found=found)
    return got


@title("{kind}: backward multiplies by the derivative", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.48)
@given(case=S.activation_cases())
def test_backward(student, kind, case):
    """backward(grad_out) is grad_out times the derivative at the most recent forward's input."""
    check_backward(student, kind, case)


@title("{kind}: backward matches numerical gradients", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.24)
@given(case=S.activation_cases(max_batch=4, max_features=5, bound=4.0))
def test_gradient_numerical(student, kind, case):
    """backward agrees with central differences of the student's own forward (J^T v)."""
    name = CLASSES[kind]
    layer = make(student, kind)
    numeric = G.numeric_vjp_each(lambda xs: layer.call_each("forward", [(x_,) for x_ in xs]), case.x,
                                 case.grad_out)
    _, got = layer.call_chain(("forward", (case.x,)), ("backward", (case.grad_out,)))
    got = D.require_array(got, case.x.shape, what=f"{name}.backward's output")
    if G.relative_error(got, numeric) > G.NUMERIC_RTOL:
        found = D.first(
            lambda: D.finite_signature(got, what=f"{name}.backward", diagnosis_id="wrong-gradient"),
            lambda: D.forward_is_the_problem(
                got, reference_backward(kind, case.x, case.grad_out), what=name),
            lambda: D.activation_backward_signature(kind, case.x, case.grad_out, got),
            lambda: D.precision_signature(got, numeric, what=f"{name}.backward's output"),
            lambda: D.scale_signature(got, numeric, what=f"{name}.backward"))
        raise D.mismatch("wrong-gradient", f"{name}.backward disagrees with the numerical gradient "
                         "of your own forward", actual=got, expected=numeric, found=found)


@title("{kind}: each row depends only on its own input", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.24)
@given(case=S.activation_cases(min_batch=2), data=st.data())
def test_batch_independence(student, kind, case, data):
    """Each output row depends only on its own input row; permuting the batch permutes the output."""
    name = CLASSES[kind]
    layer = make(student, kind)
    x = case.x
    out = D.require_array(layer.call("forward", x), x.shape, what=f"{name}.forward's output")
    others = data.draw(S.arrays(shape=x.shape, bound=5.0, away_from_zero=0.1), label="batch mates")
    others[0] = x[0]
    changed = np.asarray(layer.call("forward", others), dtype=np.float64)
    if not G.close(changed[0], out[0]):
        raise D.mismatch("batch-dependence", "", actual=changed[0], expected=out[0],
                         found=D.batch_dependence_diagnosis(what=f"{name}.forward"))
    perm = np.arange(x.shape[0])[::-1].copy()
    permuted = np.asarray(layer.call("forward", x[perm]), dtype=np.float64)
    if not G.close(permuted, out[perm]):
        raise D.mismatch("batch-dependence", "", actual=permuted, expected=out[perm],
                         found=D.batch_dependence_diagnosis(what=f"{name}.forward"))


@title("{kind}: repeated calls give the same results", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.32)
@given(case=S.activation_cases())
def test_repeated_calls(student, kind, case):
    """forward and backward leave their inputs unchanged; calling each twice gives the same
    results (nothing cached is edited in place); backward follows the most recent forward."""
    name = CLASSES[kind]
    layer = make(student, kind)
    out1 = D.call_watched(layer, "forward", case.x, what=f"{name}.forward")
    out2 = layer.call("forward", case.x)
    if not G.close(out2, out1):
        raise D.mismatch("input-mutation", "", actual=out2, expected=out1, found=D.repeat_mismatch(
            out1, out2, what="outputs", call=f"{name}.forward"))
    g1 = D.call_watched(layer, "backward", case.grad_out, what=f"{name}.backward")
    g2 = layer.call("backward", case.grad_out)
    check_backward(student, kind, case, got=g1)
    if not G.close(g2, g1):
        raise D.mismatch("input-mutation", "", actual=g2, expected=g1, found=D.repeat_mismatch(
            g1, g2, what="gradients", call=f"{name}.backward"))
    # A new forward: backward must now use the new input.
    x2 = -case.x[::-1].copy()
    layer.call("forward", x2)
    g3 = layer.call("backward", case.grad_out)
    check_backward(student, kind, S.ActivationCase(x2, case.grad_out), got=g3)


@title("{kind}: backward is right for inputs up to 1e3", kind=CLASSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
@S.share(0.24)
@given(case=S.activation_cases(bound=S.EXTREME, away_from_zero=30.0))
def test_backward_large_inputs(student, kind, case):
    """|x| up to 1000 (float64): backward is finite and equals the derivative there (0 where
    sigmoid and tanh saturate); exp(-x) or (e^x - e^-x) / (e^x + e^-x) overflow to NaN."""
    name = CLASSES[kind]
    layer = make(student, kind)
    _, got = layer.call_chain(("forward", (case.x,)), ("backward", (case.grad_out,)))
    got = D.require_array(got, case.x.shape, what=f"{name}.backward's output")
    found = D.first(
        lambda: D.activation_overflow_signature(kind, case.x, got, what=f"{name}.backward"),
        lambda: D.activation_backward_signature(kind, case.x, case.grad_out, got))
    expected = reference_backward(kind, case.x, case.grad_out)
    # Saturated derivatives are ~exp(-30) or less: measure errors against grad_out's size,
    # where round-off lives, not against those tiny values.
    if not np.all(np.isfinite(got)) or not G.close(got, expected,
                                                    atol=G.max_abs(case.grad_out)):
        raise D.mismatch("wrong-gradient", f"{name}.backward is wrong for inputs of magnitude up "
                         f"to {np.abs(case.x).max():.0f} although {DERIVATIVES[kind]} is finite "
                         f"there: {D.STABLE_DERIVATIVE[kind]}", actual=got, expected=expected,
                         found=found)
