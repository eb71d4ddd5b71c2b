"""Each failure signature recognises the array its bug produces, and stays silent on the
correct array (so a correct student is never given a bug's name)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import diagnose as D
from grader.profiles.default import signatures as SIG
from reference import layers as ref_layers
from reference import losses as ref_losses

RNG = np.random.default_rng(0)
X = RNG.uniform(-3, 3, (6, 5))
X[np.abs(X) < 0.1] = 0.5
G = RNG.uniform(-1, 1, (6, 5))
Z = RNG.uniform(-5, 5, (6, 4))
Y = np.array([0, 1, 2, 3, 0, 1])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_backward(layer, x, g):
    layer.forward(x)
    return layer.backward(g)


def ids(d):
    return None if d is None else d.id


# -- structure -------------------------------------------------------------------------------
def test_shape_signature_names_transpose():
    d = D.shape_signature(np.zeros((5, 3)), (3, 5), what="dW")
    assert ids(d) == "shape-mismatch" and "transpose" in d.hint
    assert D.shape_signature(np.zeros((3, 5)), (3, 5), what="dW") is None
    assert ids(D.shape_signature(np.zeros(3), (3, 5), what="dW")) == "shape-mismatch"


def test_dtype_signature():
    assert D.dtype_signature(np.zeros(3), what="out") is None
    assert ids(D.dtype_signature(np.zeros(3, np.float32), what="out")) == "dtype"
    assert D.dtype_signature(np.zeros(3, np.int64), what="labels", kinds="i") is None
    assert ids(D.dtype_signature(np.zeros(3), what="labels", kinds="i")) == "dtype"


def test_precision_signature_detects_float32_computation():
    W = RNG.standard_normal((5, 3))
    exact = X @ W
    lossy = (X.astype(np.float32) @ W.astype(np.float32)).astype(np.float64)
    assert ids(D.precision_signature(lossy, exact, what="out")) == "dtype"
    assert D.precision_signature(exact + 1e-14, exact, what="out") is None
    assert D.precision_signature(exact * 2, exact, what="out") is None


def test_require_array_raises_named_failures():
    with pytest.raises(D.CheckFailure) as info:
        D.require_array(None, (2, 3), what="dx")
    assert info.value.diagnoses[0].id == "shape-mismatch"
    with pytest.raises(D.CheckFailure) as info:
        D.require_array(np.zeros((2, 3), np.float32), (2, 3), what="dx")
    assert info.value.diagnoses[0].id == "dtype"
    assert D.require_array(np.zeros((2, 3)), (2, 3), what="dx").shape == (2, 3)


class _WorkerObject:
    """Stands for a sandbox RemoteObject: a student value kept in the worker, known here by
    its class name only."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def test_require_array_names_the_students_type_and_the_notimplemented_stub():
    from grader.sandbox.client import RemoteObject

    assert "type_name" in RemoteObject.__slots__  # what the stand-in imitates
    with pytest.raises(D.CheckFailure) as info:
        D.require_array(_WorkerObject("NotImplementedType"), (4, 3), what="Linear.forward(A)")
    assert info.value.diagnoses[0].id == "missing-api"
    assert "NotImplemented" in info.value.diagnoses[0].hint and "(4, 3)" in info.value.diagnoses[0].hint
    with pytest.raises(D.CheckFailure) as info:
        D.require_array(_WorkerObject("Tensor"), (4, 3), what="dLdA")
    assert info.value.diagnoses[0].id == "shape-mismatch"
    assert "is a Tensor" in info.value.diagnoses[0].hint and "RemoteObject" not in info.value.diagnoses[0].hint


def test_require_scalar_accepts_floats_and_0d_arrays():
    assert D.require_scalar(1.5, what="loss") == 1.5
    assert D.require_scalar(np.float64(2.0), what="loss") == 2.0
    assert D.require_scalar(np.array(3.0), what="loss") == 3.0
    with pytest.raises(D.CheckFailure):
        D.require_scalar(np.ones(3), what="loss")
    with pytest.raises(D.CheckFailure):
        D.require_scalar(None, what="loss")


# -- constant factors ------------------------------------------------------------------------
@pytest.mark.parametrize("factor,name", [(6.0, "N"), (1 / 6, "1/N"), (2.0, "2"), (0.5, "1/2")])
def test_scale_signature_names_the_factor(factor, name):
    d = D.scale_signature(G * factor, G, what="grad", n=6)
    assert ids(d) == "gradient-scale"
    assert D.name_factor(factor, n=6) == name


def test_scale_signature_sign_flip_is_wrong_gradient():
    d = D.scale_signature(-G, G, what="grad", n=6)
    assert ids(d) == "wrong-gradient" and "sign" in d.hint


def test_scale_signature_silent_when_not_a_constant_or_equal():
    assert D.scale_signature(G, G, what="grad") is None
    assert D.scale_signature(G + RNG.uniform(-1, 1, G.shape), G, what="grad") is None
    assert D.constant_factor(np.zeros(3), np.zeros(3)) is None


def test_loss_reduction_signature():
    assert ids(D.loss_reduction_signature(2.5 * 6, 2.5, what="loss", n=6)) == "loss-reduction"
    assert ids(D.loss_reduction_signature(2.5 * 30, 2.5, what="loss", n=6, size=30)) == "loss-reduction"
    assert ids(D.loss_reduction_signature(2.5 * 5, 2.5, what="loss", n=6, size=30)) == "loss-reduction"
    assert D.loss_reduction_signature(2.5, 2.5, what="loss", n=6) is None
    assert D.loss_reduction_signature(3.1, 2.5, what="loss", n=6) is None


# -- activations -----------------------------------------------------------------------------
def test_relu_mask_signature():
    wrong = np.where(G > 0, G, 0.0)
    assert ids(D.relu_mask_signature(X, G, wrong)) == "relu-mask"
    right = ref_backward(ref_layers.ReLU(), X, G)
    assert D.relu_mask_signature(X, G, right) is None
    assert D.activation_backward_signature("relu", X, G, right) is None


def test_an_unmasked_relu_backward_is_named_and_never_taken_for_a_gate_on_grad_out():
    unmasked = D.activation_backward_signature("relu", X, G, G.copy())
    assert ids(unmasked) == "wrong-gradient" and "returns grad_out unchanged" in unmasked.hint
    # Every grad_out positive (as a ReLU inside an MLP may receive): a gate on grad_out > 0
    # and no gate at all give the same array; it is named as no gate, never as relu-mask.
    positive = np.abs(G) + 0.1
    assert D.relu_mask_signature(X, positive, positive.copy()) is None
    assert ids(D.activation_backward_signature("relu", X, positive, positive.copy())) == "wrong-gradient"


def test_relu_softplus_signature():
    wrong = G * sigmoid(X)
    d = D.relu_softplus_signature(X, G, wrong)
    assert ids(d) == "wrong-gradient" and "softplus" in d.hint
    assert D.relu_softplus_signature(X, G, ref_backward(ref_layers.ReLU(), X, G)) is None


@pytest.mark.parametrize("kind", ["sigmoid", "tanh"])
def test_derivative_at_output_signature(kind):
    if kind == "sigmoid":
        s = sigmoid(sigmoid(X))
        wrong = G * s * (1 - s)
        right = ref_backward(ref_layers.Sigmoid(), X, G)
    else:
        wrong = G * (1 - np.tanh(np.tanh(X)) ** 2)
        right = ref_backward(ref_layers.Tanh(), X, G)
    assert ids(D.derivative_at_output_signature(kind, X, G, wrong)) == \
        "activation-derivative-applied-twice"
    assert D.derivative_at_output_signature(kind, X, G, right) is None
    assert D.activation_backward_signature(kind, X, G, right) is None


@pytest.mark.parametrize("kind", ["sigmoid", "tanh"])
def test_derivative_on_input_signature(kind):
    wrong = G * X * (1 - X) if kind == "sigmoid" else G * (1 - X ** 2)
    d = D.derivative_on_input_signature(kind, X, G, wrong)
    assert ids(d) == "wrong-gradient" and "input" in d.hint


# -- softmax / cross-entropy ---------------------------------------------------------------------
def test_softmax_axis_signature():
    e = np.exp(Z - Z.max(axis=0))
    assert ids(D.softmax_axis_signature(e / e.sum(axis=0))) == "softmax-axis"
    e = np.exp(Z - Z.max())
    assert ids(D.softmax_axis_signature(e / e.sum())) == "softmax-axis"
    assert D.softmax_axis_signature(ref_losses.softmax(Z)) is None


def test_overflow_signature():
    with np.errstate(all="ignore"):
        big = Z * 300
        e = np.exp(big)
        naive = e / e.sum(axis=1, keepdims=True)
    assert ids(D.overflow_signature(naive, what="softmax")) == "softmax-overflow"
    assert D.overflow_signature(ref_losses.softmax(big), what="softmax") is None


def test_extreme_mismatch_signature_catches_clipping():
    big = np.array([[1000.0, 990.0, 995.0], [-1000.0, -998.0, -999.5]])
    clipped = ref_losses.softmax(np.clip(big, -500, 500))
    right = ref_losses.softmax(big)
    assert ids(SIG.extreme_mismatch_signature(clipped, right, what="softmax")) == "softmax-overflow"
    assert SIG.extreme_mismatch_signature(right, right, what="softmax") is None


def ce(z, y):
    loss = ref_losses.SoftmaxCrossEntropy()
    return loss.forward(z, y)


def test_cross_entropy_value_signatures():
    expected = ce(Z, Y)
    assert ids(D.cross_entropy_value_signature(Z, Y, expected * 6, expected)) == "loss-reduction"
    p = ref_losses.softmax(Z)
    onehot = np.eye(4)[Y]
    bce = float(np.mean(-(onehot * np.log(p) + (1 - onehot) * np.log(1 - p))))
    assert ids(D.cross_entropy_value_signature(Z, Y, bce, expected)) == "binary-cross-entropy"
    double = ce(ref_losses.softmax(Z), Y)
    assert ids(D.cross_entropy_value_signature(Z, Y, double, expected)) == "double-softmax"
    assert D.cross_entropy_value_signature(Z, Y, expected, expected) is None


# -- Linear ----------------------------------------------------------------------------------------
def test_bias_gradient_signature():
    g = G[:, :3]
    assert ids(D.bias_gradient_signature(g, g, fan_out=3)) == "bias-gradient-not-summed"
    assert ids(D.bias_gradient_signature(g.sum(axis=1), g, fan_out=3)) == "bias-gradient-not-summed"
    assert ids(D.bias_gradient_signature(g.mean(axis=0), g, fan_out=3)) == "gradient-scale"
    assert D.bias_gradient_signature(g.sum(axis=0), g, fan_out=3) is None


def test_weight_gradient_signature():
    x, g = X[:, :4], G[:, :3]
    assert ids(D.weight_gradient_signature(g.T @ x, x, g)) == "shape-mismatch"
    assert D.weight_gradient_signature(x.T @ g, x, g) is None


# -- repeated calls ----------------------------------------------------------------------------------
def test_stale_gradient_signatures():
    assert ids(D.stale_gradient_signature(G, 2 * G, what="dW")) == "stale-gradient"
    assert D.stale_gradient_signature(G, G, what="dW") is None
    fresh = RNG.uniform(-1, 1, G.shape)
    assert ids(D.accumulated_signature(G, G + fresh, fresh, what="dW")) == "stale-gradient"
    assert D.accumulated_signature(G, fresh, fresh, what="dW") is None


# -- SGD -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("after,lr,expected", [
    (lambda W, g: W - 0.3 * g, 0.3, None),
    (lambda W, g: W + 0.3 * g, 0.3, "optimizer-direction"),
    (lambda W, g: W, 0.3, "optimizer-skips-parameters"),
    (lambda W, g: W - 0.1 * g, 0.3, "optimizer-update"),
    (lambda W, g: W - 0.1 * g, 0.0, "optimizer-update"),
    (lambda W, g: W, 0.0, None),
])
def test_sgd_signature(after, lr, expected):
    W = RNG.uniform(-1, 1, (4, 3))
    g = RNG.uniform(-1, 1, (4, 3))
    assert ids(D.sgd_signature(W, after(W, g), g, lr, what="W")) == expected


def test_relu_softplus_function_signature():
    """The seed bug as written: grad_out * np.log(1 + np.exp(x)), softplus itself."""
    with np.errstate(over="ignore"):
        wrong = G * np.log(1 + np.exp(X))
    d = D.relu_softplus_function_signature(X, G, wrong)
    assert ids(d) == "wrong-gradient" and "np.log(1 + np.exp(x))" in d.hint
    assert ids(D.activation_backward_signature("relu", X, G, wrong)) == "wrong-gradient"
    assert D.relu_softplus_function_signature(X, G, ref_backward(ref_layers.ReLU(), X, G)) is None
    # softplus' (the sigmoid) is the other signature's, not this one's
    assert D.relu_softplus_function_signature(X, G, G / (1 + np.exp(-X))) is None


# -- messages that never contradict themselves ---------------------------------------------
def test_mismatch_printed_alike_shows_the_gap_and_causes():
    exact = 5.239412345
    off = exact * (1 + 3e-7)  # what log(p + 1e-12) or float32 does: equal to 4 decimals
    failure = D.mismatch("wrong-forward", "the loss differs", actual=off, expected=exact)
    got = failure.message.split("got:")[1].split("\n")[0].strip()
    want = failure.message.split("expected:")[1].split("\n")[0].strip()
    assert got != want, failure.message
    assert "relative error of 3e-07" in failure.message
    assert "epsilon inside a log" in failure.diagnoses[0].hint
    assert "float32" in failure.diagnoses[0].hint


def test_mismatch_with_a_named_signature_keeps_its_hint_and_adds_the_gap():
    exact = np.array([[0.25, 0.75]])
    found = D.diagnosis("softmax-overflow", "a named cause")
    failure = D.mismatch("wrong-forward", "", actual=exact * (1 + 1e-7), expected=exact, found=found)
    assert failure.diagnoses[0].hint == "a named cause"
    assert "relative error" in failure.message and "np.clip" in failure.message


def test_mismatch_that_prints_differently_is_unchanged():
    failure = D.mismatch("wrong-forward", "differs", actual=1.0, expected=2.0)
    assert "relative error" not in failure.message and failure.diagnoses[0].hint == "differs"


def test_weight_gradient_signature_square():
    x, g = X[:, :4], RNG.uniform(-1, 1, (6, 4))
    assert ids(D.weight_gradient_signature(g.T @ x, x, g)) == "wrong-gradient"
    assert "transpose" in D.weight_gradient_signature(g.T @ x, x, g).hint
    assert D.weight_gradient_signature(x.T @ g, x, g) is None


def test_linear_dx_signature():
    W, g = RNG.uniform(-1, 1, (4, 4)), G[:, :4]
    found = D.linear_dx_signature(g @ W, W, g, what="dx")
    assert ids(found) == "wrong-gradient" and found.hint.startswith("dx uses W instead of W.T")
    dW = RNG.uniform(-1, 1, (4, 4))
    assert "uses dW" in D.linear_dx_signature(g @ dW.T, W, g, dW).hint
    assert D.linear_dx_signature(g @ W.T, W, g, dW) is None
    symmetric = W + W.T  # W = W.T: no transpose can be missing
    assert D.linear_dx_signature(g @ symmetric, symmetric, g) is None


@pytest.mark.parametrize("kind", ["sigmoid", "tanh"])
def test_activation_overflow_signature(kind):
    x = np.array([[-1000.0, 40.0], [800.0, -35.0]])
    with np.errstate(all="ignore"):
        if kind == "sigmoid":
            e = np.exp(-x)
            naive = e / (1 + e) ** 2
        else:
            t = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
            naive = 1 - t ** 2
    found = D.activation_overflow_signature(kind, x, naive, what="backward")
    assert ids(found) == "wrong-gradient" and "overflows to inf" in found.hint
    assert D.STABLE_DERIVATIVE[kind] in found.hint
    right = ref_backward({"sigmoid": ref_layers.Sigmoid, "tanh": ref_layers.Tanh}[kind](), x,
                         np.ones_like(x))
    assert D.activation_overflow_signature(kind, x, right, what="backward") is None


# -- values too big to print are summarised: shape, where they differ, got and expected side by side
def test_a_big_array_mismatch_is_summarised_not_dumped() -> None:
    rng = np.random.default_rng(3)
    got = rng.normal(size=(16, 64))
    want = got.copy()
    want[:, :40] += 1.0
    message = D.mismatch("wrong-gradient", "MLP.backward's dx differs from the reference",
                         actual=got, expected=want).message
    lines = message.split("\n")
    assert lines[1] == "  shape (16, 64): 640 of 1,024 entries differ, in every row and columns 0-39"
    assert lines[2].startswith("  the largest difference at [")
    first = lines[4].split()
    assert first[:3] == ["[0,", "0]", "got"] and float(first[3]) == pytest.approx(got[0, 0], abs=1e-3)
    assert first[4] == "expected" and float(first[5]) == pytest.approx(want[0, 0], abs=1e-3)
    assert lines[-1] == "    ... and 635 more of the 16x64 entries"
    assert max(len(line) for line in lines) <= 76  # fits 80 columns under a report's indent
    assert "[[" not in message  # no array dump


def test_a_small_mismatch_still_prints_both_arrays() -> None:
    message = D.mismatch("wrong-forward", "x", actual=np.zeros((2, 3)), expected=np.ones((2, 3))).message
    assert "got:      [[0. 0. 0.]" in message and "expected: [[1. 1. 1.]" in message
    assert D.array_summary(np.zeros((2, 3)), np.ones((2, 3))) is None
    assert D.array_summary(np.zeros((8, 8)), np.zeros((8, 8))) is None  # nothing differs: nothing to say


def test_an_unflattened_input_is_named_even_when_every_size_is_one() -> None:
    # CS231n's affine_backward on a (1, 1, 1) input that forgets x.reshape(N, -1): dw (1, 1, 1).
    found = D.shape_signature(np.zeros((1, 1, 1)), (1, 1), what="dw")
    assert found.id == "shape-mismatch"
    assert "x.reshape(x.shape[0], -1)" in found.hint and "3 axes instead of 2" in found.hint
    assert "reshape" in D.shape_signature(np.zeros((2, 3, 4)), (6, 4), what="dw").hint
    # A different number of entries is another bug: no flattening advice.
    assert "reshape" not in D.shape_signature(np.zeros((2, 3, 4)), (5, 4), what="dw").hint


def test_a_gradient_not_given_back_its_input_shape_is_named() -> None:
    found = D.shape_signature(np.zeros((1, 1)), (1, 1, 1), what="dx")
    assert ".reshape(x.shape)" in found.hint and "2 axes instead of 3" in found.hint


def test_a_bias_with_an_extra_axis_is_not_told_to_flatten_x() -> None:
    # db (1, 2) for (2,): the same entries in more axes, but a bias, not an unflattened input.
    assert "reshape" not in D.shape_signature(np.zeros((1, 2)), (2,), what="db").hint
    assert "reshape" not in D.shape_signature(np.zeros(2), (1, 2), what="db").hint
