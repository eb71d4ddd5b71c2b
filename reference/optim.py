"""Plain stochastic gradient descent of the student contract."""

from __future__ import annotations


class SGD:
    """For every layer with W and b: W <- W - lr * dW, b <- b - lr * db.

    `layers` is a list of layer objects; those without parameters (activations)
    are skipped.
    """

    def __init__(self, layers: list, lr: float = 0.1) -> None:
        self.layers = layers
        self.lr = lr

    def step(self) -> None:
        for layer in self.layers:
            if hasattr(layer, "W") and hasattr(layer, "b"):
                # In place, so any other reference to W sees the update too.
                layer.W -= self.lr * layer.dW
                layer.b -= self.lr * layer.db
