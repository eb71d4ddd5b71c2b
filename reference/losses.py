"""Softmax, softmax cross-entropy and mean squared error of the student contract."""

from __future__ import annotations

import numpy as np


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, C) -> (N, C) log-probabilities, stable for any finite magnitude."""
    # Subtracting the row max leaves softmax unchanged and keeps exp() <= 1.
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, C) -> (N, C) probabilities; each row sums to 1."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean over the batch of -log softmax(logits)[i, y[i]]."""

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        """logits: (N, C) float; y: (N,) integer labels in [0, C) -> scalar mean loss."""
        log_p = _log_softmax(logits)
        n = logits.shape[0]
        self._probs = np.exp(log_p)
        self._y = np.asarray(y)
        # log-softmax directly, never log(softmax): log(0) would be -inf.
        return float(-log_p[np.arange(n), self._y].mean())

    def backward(self) -> np.ndarray:
        """-> (N, C): d(mean loss)/d(logits) = (softmax - onehot(y)) / N."""
        n = self._probs.shape[0]
        grad = self._probs.copy()  # a copy: the cached probabilities must survive
        grad[np.arange(n), self._y] -= 1.0
        return grad / n


class MSELoss:
    """Mean over all N*K elements of (pred - target)**2."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """pred, target: (N, K) -> scalar."""
        self._diff = pred - target
        return float(np.mean(self._diff ** 2))

    def backward(self) -> np.ndarray:
        """-> (N, K): 2 (pred - target) / (N K)."""
        return 2.0 * self._diff / self._diff.size
