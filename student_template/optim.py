"""Stochastic gradient descent."""

from __future__ import annotations


class SGD:
    """For every layer that has W and b: W <- W - lr*dW, b <- b - lr*db.

    `layers` is a list of layer objects; skip those without parameters.
    """

    def __init__(self, layers: list, lr: float = 0.1) -> None:
        raise NotImplementedError("SGD.__init__")

    def step(self) -> None:
        raise NotImplementedError("SGD.step")
