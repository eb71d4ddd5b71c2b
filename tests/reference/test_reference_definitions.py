"""The reference matches its definitions on hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.layers import Linear, ReLU, Sigmoid, Tanh
from reference.losses import MSELoss, SoftmaxCrossEntropy, softmax
from reference.network import MLP
from reference.optim import SGD


def test_softmax_of_zeros_is_uniform() -> None:
    np.testing.assert_allclose(softmax(np.zeros((3, 4))), np.full((3, 4), 0.25))


def test_softmax_rows_sum_to_one_and_survive_huge_logits() -> None:
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    probs = softmax(logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(probs[1], [1 / 3] * 3)


def test_cross_entropy_of_zero_logits_is_log_c() -> None:
    loss = SoftmaxCrossEntropy()
    assert loss.forward(np.zeros((5, 10)), np.arange(5)) == pytest.approx(math.log(10))


def test_cross_entropy_is_finite_and_exact_for_huge_logits() -> None:
    loss = SoftmaxCrossEntropy()
    # The wrong class leads by 2000: the loss is exactly that margin.
    value = loss.forward(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert value == pytest.approx(2000.0)
    assert np.all(np.isfinite(loss.backward()))


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n() -> None:
    loss = SoftmaxCrossEntropy()
    logits = np.array([[0.0, 0.0], [0.0, math.log(3.0)]])
    loss.forward(logits, np.array([0, 1]))
    np.testing.assert_allclose(loss.backward(), [[-0.25, 0.25], [0.125, -0.125]])


def test_mse_is_the_mean_over_all_elements_and_its_gradient() -> None:
    loss = MSELoss()
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    assert loss.forward(pred, target) == pytest.approx(30.0 / 4)
    np.testing.assert_allclose(loss.backward(), 2.0 * pred / 4)


def test_activations_on_known_points() -> None:
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))
    with np.errstate(over="raise"):
        extreme = Sigmoid().forward(np.array([[-1000.0, 1000.0]]))
    np.testing.assert_array_equal(extreme, [[0.0, 1.0]])


def test_relu_backward_gates_on_input_not_gradient() -> None:
    relu = ReLU()
    relu.forward(np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, -7.0]])), [[0.0, -7.0]])


def test_linear_forward_and_bias_gradient_sums_the_batch() -> None:
    layer = Linear(2, 3, rng=np.random.default_rng(0))
    layer.W, layer.b = np.arange(6.0).reshape(2, 3), np.array([1.0, 0.0, -1.0])
    x = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_allclose(layer.forward(x), [[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    layer.backward(np.ones((2, 3)))
    np.testing.assert_allclose(layer.db, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(layer.dW, [[1.0] * 3, [3.0] * 3])


def test_linear_init_scaled_for_fan_in_and_reproducible() -> None:
    a, b = Linear(400, 300, rng=np.random.default_rng(7)), Linear(400, 300, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.W, b.W)
    assert a.W.std() == pytest.approx(math.sqrt(2 / 400), rel=0.05)


def test_sgd_moves_each_parameter_by_minus_lr_grad_and_skips_activations() -> None:
    layer = Linear(3, 2, rng=np.random.default_rng(1))
    layer.dW, layer.db = np.ones((3, 2)), np.full(2, 2.0)
    W0, b0 = layer.W.copy(), layer.b.copy()
    SGD([layer, ReLU()], lr=0.5).step()
    np.testing.assert_allclose(layer.W, W0 - 0.5)
    np.testing.assert_allclose(layer.b, b0 - 1.0)


def test_mlp_structure_and_predict() -> None:
    model = MLP([4, 5, 6, 3], activation="tanh", rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    x = np.random.default_rng(1).standard_normal((7, 4))
    np.testing.assert_array_equal(model.predict(x), model.forward(x).argmax(axis=1))


def test_no_function_modifies_its_inputs() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    x0, y0 = x.copy(), y.copy()
    model = MLP([4, 5, 3], rng=rng)
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    grad = loss.backward()
    first = grad.copy()
    model.backward(grad)
    np.testing.assert_array_equal(loss.backward(), first)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
