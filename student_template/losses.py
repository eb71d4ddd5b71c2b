"""Softmax, softmax cross-entropy and mean squared error."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, C) -> (N, C) probabilities; each ROW sums to 1.

    Must stay finite for logits of magnitude 1000 (subtract each row's max).
    """
    raise NotImplementedError("softmax")


class SoftmaxCrossEntropy:
    """The MEAN over the batch of -log softmax(logits)[i, y[i]]."""

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        """logits: (N, C); y: (N,) integer labels in [0, C) -> the mean loss (a float)."""
        raise NotImplementedError("SoftmaxCrossEntropy.forward")

    def backward(self) -> np.ndarray:
        """-> (N, C): d(mean loss)/d(logits) for the last forward call."""
        raise NotImplementedError("SoftmaxCrossEntropy.backward")


class MSELoss:
    """The mean over all N*K elements of (pred - target)**2."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """pred, target: (N, K) -> the mean loss (a float)."""
        raise NotImplementedError("MSELoss.forward")

    def backward(self) -> np.ndarray:
        """-> (N, K): d(loss)/d(pred) for the last forward call."""
        raise NotImplementedError("MSELoss.backward")
