"""Layers: Linear and the element-wise activations ReLU, Sigmoid, Tanh.

Arrays are NumPy float64; a batch is row-major: N samples by features.
`backward` always refers to the most recent `forward` call on the same object.
Never modify the arrays you are given (copy before editing in place).
"""

from __future__ import annotations

import numpy as np


class Linear:
    """y = x @ W + b.

    Parameters
    ----------
    in_features, out_features : int
    rng : np.random.Generator | None
        Draw the initial W from this generator (use np.random.default_rng() if None),
        scaled for the fan-in (e.g. std sqrt(2 / in_features)). b may start at 0.

    Attributes
    ----------
    W : (in_features, out_features)
    b : (out_features,)
    dW, db : same shapes as W and b, set by `backward`
    """

    def __init__(self, in_features: int, out_features: int,
                 rng: np.random.Generator | None = None) -> None:
        raise NotImplementedError("Linear.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, in_features) -> (N, out_features)."""
        raise NotImplementedError("Linear.forward")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, out_features) -> (N, in_features).

        Also sets self.dW (in_features, out_features) and self.db (out_features,):
        gradients of the loss w.r.t. W and b, overwritten (not accumulated) on every call.
        """
        raise NotImplementedError("Linear.backward")


class ReLU:
    """max(x, 0) element-wise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> (N, D)."""
        raise NotImplementedError("ReLU.forward")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, D) -> (N, D)."""
        raise NotImplementedError("ReLU.backward")


class Sigmoid:
    """1 / (1 + exp(-x)) element-wise, finite for any float64 input."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> (N, D)."""
        raise NotImplementedError("Sigmoid.forward")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, D) -> (N, D)."""
        raise NotImplementedError("Sigmoid.backward")


class Tanh:
    """tanh(x) element-wise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> (N, D)."""
        raise NotImplementedError("Tanh.forward")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, D) -> (N, D)."""
        raise NotImplementedError("Tanh.backward")
