"""Layers of the student contract: Linear and the element-wise activations.

Each class keeps its forward beside its backward. `backward` always refers to
the most recent `forward` call on the same object. Nothing here modifies the
arrays it is given: caches are the caller's arrays, read but never written.
"""

from __future__ import annotations

import numpy as np


class Linear:
    """y = x @ W + b.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output feature axes.
    rng : np.random.Generator | None
        Source of the initial weights; None means a fresh default generator.

    Attributes
    ----------
    W : (in_features, out_features) float64, He-scaled normal: std sqrt(2 / in_features)
    b : (out_features,) float64, zeros
    dW, db : same shapes as W and b; set by `backward`
    """

    def __init__(self, in_features: int, out_features: int,
                 rng: np.random.Generator | None = None) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        # Scaling by the fan-in keeps activations' variance constant across layers;
        # unscaled randn makes the logits explode and the initial loss huge.
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, in_features) -> (N, out_features)."""
        self._x = x
        return x @ self.W + self.b

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, out_features) -> (N, in_features); sets dW (in, out) and db (out,)."""
        x = self._x
        self.dW = x.T @ grad_out
        # The bias is shared by every sample, so its gradient sums over the batch axis.
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T


class ReLU:
    """max(x, 0), element-wise; x: (N, D) -> (N, D)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._mask = x > 0
        return np.where(self._mask, x, 0.0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # The gate is the forward *input*'s sign, never the upstream gradient's.
        return np.where(self._mask, grad_out, 0.0)


class Sigmoid:
    """1 / (1 + exp(-x)), element-wise, without overflow for large |x|; (N, D) -> (N, D)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp of a non-positive number never overflows: pick the form per sign.
        e = np.exp(-np.abs(x))
        self._out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        s = self._out
        return grad_out * s * (1.0 - s)


class Tanh:
    """tanh(x), element-wise; (N, D) -> (N, D)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (1.0 - self._out ** 2)
