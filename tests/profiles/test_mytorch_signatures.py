"""MyTorch's own failure signatures and its trusted reference (numerical gradients)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.gradcheck import numeric_vjp
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS

RNG = np.random.default_rng(3)
Z = RNG.uniform(-2, 2, (6, 4))
BW, Bb = RNG.uniform(0.5, 2, 4), RNG.uniform(-1, 1, 4)
G = RNG.uniform(-1, 1, (6, 4))


@pytest.mark.parametrize("name", sorted(R.ACTIVATION_FORWARD))
def test_reference_activation_gradients(name):
    numeric = numeric_vjp(R.ACTIVATION_FORWARD[name], Z, G)
    assert np.allclose(R.ACTIVATION_BACKWARD[name](Z, G), numeric, atol=1e-7)


def test_reference_losses_and_batchnorm_gradients():
    Y = R.one_hot(RNG.integers(0, 4, 6), 4)
    for loss in (R.mse, R.cross_entropy):
        assert np.allclose(loss(Z, Y)[1], numeric_vjp(lambda a: loss(a, Y)[0], Z, 1.0), atol=1e-7)
    forward = lambda z: R.batchnorm_train(z, BW, Bb, np.zeros(4), np.ones(4), 0.9)[0]  # noqa: E731
    assert np.allclose(R.batchnorm_backward(Z, BW, G)[0], numeric_vjp(forward, Z, G), atol=1e-6)


def test_reference_momentum_is_a_running_sum():
    p, g = [np.ones(2)], [[np.full(2, 1.0)], [np.full(2, 1.0)]]
    history = R.sgd_steps(p, g, 0.1, 0.5)
    assert np.allclose(history[0][0], 0.9) and np.allclose(history[1][0], 0.9 - 0.15)


def test_bias_gradient_signatures():
    dLdZ = RNG.uniform(-1, 1, (5, 3))
    assert MS.bias_gradient_signature(dLdZ.T, dLdZ).id == "bias-gradient-not-summed"
    assert MS.bias_gradient_signature(dLdZ.sum(axis=1), dLdZ).id == "bias-gradient-not-summed"
    assert MS.bias_gradient_signature(dLdZ.sum(axis=0), dLdZ).id == "shape-mismatch"
    assert MS.bias_gradient_signature(dLdZ.sum(axis=0, keepdims=True).T, dLdZ) is None


def test_legacy_scale_names_the_release():
    found = MS.legacy_scale_signature(Z / 6, Z, what="Linear.dLdW", n=6)
    assert found.id == "gradient-scale" and "2.0.x" in found.hint


def test_running_statistics_signatures():
    before = (np.zeros(4), np.ones(4))
    M, V = Z.mean(axis=0), Z.var(axis=0)
    assert MS.running_statistics_signature(Z, 0.9, before, before).id == "running-statistics"
    swapped = (0.9 * M, 0.1 + 0.9 * V)
    assert "alpha" in MS.running_statistics_signature(Z, 0.9, before, swapped).hint
    right = (0.1 * M, 0.9 + 0.1 * V)
    assert MS.running_statistics_signature(Z, 0.9, before, right) is None


def test_batchnorm_forward_and_eval_signatures():
    unbiased = BW * (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0, ddof=1) + 1e-8) + Bb
    assert "ddof" in MS.batchnorm_forward_signature(Z, BW, Bb, unbiased).hint
    right = R.batchnorm_train(Z, BW, Bb, np.zeros(4), np.ones(4), 0.9)[0]
    assert MS.batchnorm_forward_signature(Z, BW, Bb, right + 1.0) is None
    assert MS.eval_mode_signature(Z, BW, Bb, right).id == "eval-mode"


def test_momentum_signatures():
    grads = [RNG.uniform(-1, 1, 3) for _ in range(3)]
    plain = [-0.1 * g for g in grads]
    assert MS.momentum_signature(0.1, 0.9, grads, plain).id == "momentum-state"
    v, twice = np.zeros(3), []
    for g in grads:
        v = 0.9 * v + 0.1 * g
        twice.append(-0.1 * v)
    assert MS.momentum_signature(0.1, 0.9, grads, twice).id == "optimizer-update"
    history = R.sgd_steps([np.zeros(3)], [[g] for g in grads], 0.1, 0.9)
    right = [history[0][0]] + [b[0] - a[0] for a, b in zip(history, history[1:])]
    assert MS.momentum_signature(0.1, 0.9, grads, right) is None
