"""The multi-layer perceptron and its training loop."""

from __future__ import annotations

import numpy as np

from layers import Linear, ReLU, Sigmoid, Tanh  # noqa: F401
from losses import SoftmaxCrossEntropy  # noqa: F401
from optim import SGD  # noqa: F401


class MLP:
    """self.layers: Linear, act, Linear, act, ..., Linear (no activation after the last Linear).

    Parameters
    ----------
    sizes : list[int]
        [in_features, hidden_1, ..., n_classes]
    activation : "relu" | "sigmoid" | "tanh"
    rng : np.random.Generator | None
        Pass it to every Linear so the whole network is reproducible from one seed.
    """

    def __init__(self, sizes: list[int], activation: str = "relu",
                 rng: np.random.Generator | None = None) -> None:
        raise NotImplementedError("MLP.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, sizes[0]) -> logits (N, sizes[-1]) (logits, not probabilities)."""
        raise NotImplementedError("MLP.forward")

    def backward(self, grad_logits: np.ndarray) -> np.ndarray:
        """grad_logits: (N, sizes[-1]) -> (N, sizes[0]); fills every layer's dW and db."""
        raise NotImplementedError("MLP.backward")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: (N, sizes[0]) -> (N,) integer class labels."""
        raise NotImplementedError("MLP.predict")


def train(model: MLP, X: np.ndarray, y: np.ndarray, *, epochs: int = 10,
          batch_size: int = 32, lr: float = 0.1,
          rng: np.random.Generator | None = None) -> list[float]:
    """Mini-batch SGD with SoftmaxCrossEntropy.

    X: (N, D) float64; y: (N,) integer labels. Reshuffle the samples every epoch
    with `rng`, take steps on batches of `batch_size`, and return the mean
    training loss of each epoch (a list of `epochs` floats).
    """
    raise NotImplementedError("train")
