"""The multi-layer perceptron and its mini-batch training loop."""

from __future__ import annotations

import numpy as np

try:
    from .layers import Linear, ReLU, Sigmoid, Tanh
    from .losses import SoftmaxCrossEntropy
    from .optim import SGD
except ImportError:
    # Graded as a submission, the four files are flat modules with no package.
    from layers import Linear, ReLU, Sigmoid, Tanh  # type: ignore[no-redef]
    from losses import SoftmaxCrossEntropy  # type: ignore[no-redef]
    from optim import SGD  # type: ignore[no-redef]

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


class MLP:
    """Linear, act, Linear, act, ..., Linear: logits out, no activation after the last layer.

    Parameters
    ----------
    sizes : list[int]
        [in_features, hidden_1, ..., n_classes]; at least two entries.
    activation : "relu" | "sigmoid" | "tanh"
    rng : np.random.Generator | None
        Source of every layer's initial weights, in layer order.
    """

    def __init__(self, sizes: list[int], activation: str = "relu",
                 rng: np.random.Generator | None = None) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        rng = rng if rng is not None else np.random.default_rng()
        self.layers: list = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Linear(fan_in, fan_out, rng=rng))
            if i < len(sizes) - 2:
                self.layers.append(ACTIVATIONS[activation]())

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, sizes[0]) -> logits (N, sizes[-1])."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_logits: np.ndarray) -> np.ndarray:
        """grad_logits: (N, sizes[-1]) -> (N, sizes[0]); fills every Linear's dW and db."""
        grad = grad_logits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: (N, sizes[0]) -> (N,) int64 class labels."""
        return np.argmax(self.forward(x), axis=1)


def train(model: MLP, X: np.ndarray, y: np.ndarray, *, epochs: int = 10,
          batch_size: int = 32, lr: float = 0.1,
          rng: np.random.Generator | None = None) -> list[float]:
    """Mini-batch SGD on the mean softmax cross-entropy.

    X: (N, D) float64; y: (N,) integer labels. Reshuffles every epoch with `rng`.
    Returns the mean training loss of each epoch (the batch losses weighted by
    batch size, so a short last batch counts for what it holds).
    """
    rng = rng if rng is not None else np.random.default_rng()
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(model.layers, lr=lr)
    n = X.shape[0]
    history: list[float] = []
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn.forward(model.forward(X[batch]), y[batch])
            model.backward(loss_fn.backward())
            optimizer.step()
            total += loss * len(batch)
        history.append(total / n)
    return history
