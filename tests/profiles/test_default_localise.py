"""Localise by isolation: the replay blames the first layer that differs on the arrays it
receives inside the network, by position and kind, with that kind's signature."""

from __future__ import annotations

import numpy as np
import pytest

from grader.profiles.default.localise import localise
from reference import layers as ref_layers

SIZES = [3, 5, 5, 4]  # the middle Linear's W is square


class Local:
    """A layer object called in process, with the RemoteObject face localise uses."""

    def __init__(self, obj) -> None:
        self.obj = obj

    def call(self, name, *args):
        return getattr(self.obj, name)(*args)

    def get(self, name, *default):
        return getattr(self.obj, name, *default)

    def has(self, name):
        return hasattr(self.obj, name)


class ShapePickedLinear(ref_layers.Linear):
    def backward(self, grad_out):
        super().backward(grad_out)
        W = self.W if self.W.shape[0] == grad_out.shape[1] else self.W.T
        return grad_out @ W


class ClassCacheReLU(ref_layers.ReLU):
    def forward(self, x):
        ClassCacheReLU._mask = x > 0
        return np.where(self._mask, x, 0.0)


class ClassCacheLinear(ref_layers.Linear):
    def forward(self, x):
        ClassCacheLinear.last_input = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.dW = ClassCacheLinear.last_input.T @ grad_out
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T


class GradGatedReLU(ref_layers.ReLU):
    def backward(self, grad_out):
        return grad_out * (grad_out > 0)


def network(linear=ref_layers.Linear, act=ref_layers.ReLU, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        lin = linear(a, b, rng=rng)
        lin.b = rng.uniform(-0.5, 0.5, b)
        layers.append(lin)
        if i < len(SIZES) - 2:
            layers.append(act())
    return layers


def twin(layers):
    """The reference network with the same W and b."""
    out = []
    for layer in layers:
        if hasattr(layer, "W"):
            ref = ref_layers.Linear(*layer.W.shape, rng=np.random.default_rng(0))
            ref.W, ref.b = layer.W.copy(), layer.b.copy()
            out.append(ref)
        else:
            out.append(ref_layers.ReLU())
    return out


def blame(student):
    rng = np.random.default_rng(1)
    x, g = rng.uniform(-2, 2, (6, SIZES[0])), rng.uniform(-1, 1, (6, SIZES[-1]))
    return localise([Local(layer) for layer in student], twin(student), x, g, "relu")


def test_correct_network_is_not_blamed():
    assert blame(network()) is None


def test_missing_transpose_in_square_layer_is_named():
    found = blame(network(linear=ShapePickedLinear))
    assert found.id == "wrong-gradient"
    assert found.hint.startswith("Linear 2 of 3, (5, 5) weights: dx uses W instead of W.T")


def test_cache_shared_between_layers_is_named():
    found = blame(network(act=ClassCacheReLU))
    assert found.hint.startswith("ReLU 1 of 2: its dx")
    assert "right when the layer runs alone" in found.hint


def test_linear_cache_shared_between_layers_is_named():
    found = blame(network(linear=ClassCacheLinear))
    assert found.hint.startswith("Linear 2 of 3, (5, 5) weights: its dW is wrong inside")


@pytest.mark.parametrize("act", [GradGatedReLU])
def test_activation_signature_is_used(act):
    found = blame(network(act=act))
    assert found.id == "relu-mask" and found.hint.startswith("ReLU 2 of 2: ")
