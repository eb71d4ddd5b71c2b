"""Every reference component passes a float64 central-difference gradient check (rel. error <= 1e-7)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from grader.checks.gradcheck import numeric_vjp, relative_error
from reference.layers import Linear, ReLU, Sigmoid, Tanh
from reference.losses import MSELoss, SoftmaxCrossEntropy
from reference.network import MLP

TOLERANCE = 1e-7
N, D_IN, D_OUT = 5, 7, 3  # non-square everywhere, so a transposed product cannot pass


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Inputs with |x| >= 0.1, so ReLU's kink is never inside a finite-difference step."""
    x = rng.uniform(0.1, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


def test_linear_gradients(rng: np.random.Generator) -> None:
    layer = Linear(D_IN, D_OUT, rng=rng)
    layer.b = rng.standard_normal(D_OUT)
    x, v = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    layer.forward(x)
    dx = layer.backward(v)
    dW, db = layer.dW.copy(), layer.db.copy()

    def with_params(W: np.ndarray, b: np.ndarray) -> np.ndarray:
        probe = Linear(D_IN, D_OUT, rng=rng)
        probe.W, probe.b = W, b
        return probe.forward(x)

    assert relative_error(dx, numeric_vjp(layer.forward, x, v)) <= TOLERANCE
    assert relative_error(dW, numeric_vjp(lambda W: with_params(W, layer.b), layer.W, v)) <= TOLERANCE
    assert relative_error(db, numeric_vjp(lambda b: with_params(layer.W, b), layer.b, v)) <= TOLERANCE


@pytest.mark.parametrize("activation", [ReLU, Sigmoid, Tanh], ids=lambda c: c.__name__)
def test_activation_gradients(activation: Callable[[], object], rng: np.random.Generator) -> None:
    x, v = away_from_zero(rng, (N, D_IN)), rng.standard_normal((N, D_IN))
    layer = activation()
    layer.forward(x)  # type: ignore[attr-defined]
    analytic = layer.backward(v)  # type: ignore[attr-defined]
    numeric = numeric_vjp(lambda z: activation().forward(z), x, v)  # type: ignore[attr-defined]
    assert relative_error(analytic, numeric) <= TOLERANCE


def test_softmax_cross_entropy_gradient(rng: np.random.Generator) -> None:
    logits, y = 3 * rng.standard_normal((N, D_OUT)), rng.integers(0, D_OUT, N)
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, y)
    numeric = numeric_vjp(lambda z: SoftmaxCrossEntropy().forward(z, y), logits, 1.0)
    assert relative_error(loss.backward(), numeric) <= TOLERANCE


def test_mse_gradient(rng: np.random.Generator) -> None:
    pred, target = rng.standard_normal((N, D_OUT)), rng.standard_normal((N, D_OUT))
    loss = MSELoss()
    loss.forward(pred, target)
    numeric = numeric_vjp(lambda p: MSELoss().forward(p, target), pred, 1.0)
    assert relative_error(loss.backward(), numeric) <= TOLERANCE


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_gradients_through_two_hidden_layers(activation: str, rng: np.random.Generator) -> None:
    model = MLP([D_IN, 6, 4, D_OUT], activation=activation, rng=rng)
    x, y = rng.standard_normal((N, D_IN)), rng.integers(0, D_OUT, N)
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    dx = model.backward(loss.backward())

    def loss_at(z: np.ndarray) -> float:
        return SoftmaxCrossEntropy().forward(model.forward(z), y)

    assert relative_error(dx, numeric_vjp(loss_at, x, 1.0)) <= TOLERANCE
    for layer in model.layers[::2]:
        analytic = layer.dW.copy()
        original = layer.W

        def loss_with(W: np.ndarray, layer: Linear = layer) -> float:
            layer.W = W
            return SoftmaxCrossEntropy().forward(model.forward(x), y)

        numeric = numeric_vjp(loss_with, original.copy(), 1.0)
        layer.W = original
        assert relative_error(analytic, numeric) <= TOLERANCE
