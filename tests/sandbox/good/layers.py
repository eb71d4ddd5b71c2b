import numpy as np


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.dW = self.x.T @ grad_out
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask


class Sigmoid:
    def forward(self, x):
        raise NotImplementedError


def echo(value):
    return value


def scalar():
    return np.float64(2.5), np.int32(7), np.bool_(True)


def pair():
    a = Linear(2, 2, np.random.default_rng(0))
    return [a, a, {"k": a}]
