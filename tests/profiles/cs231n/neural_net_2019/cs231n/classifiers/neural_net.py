# A fixture written for the grader's tests in the style of the 2016-2020 assignment1
# classifiers/neural_net.py (handout lines included: builtins, past.builtins, matplotlib).
from __future__ import print_function

from builtins import range
from builtins import object
import numpy as np
import matplotlib.pyplot as plt
from past.builtins import xrange


class TwoLayerNet(object):
    """input - fully connected - ReLU - fully connected - softmax, weights (in, out)."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        hidden_in = X.dot(W1) + b1
        hidden = np.maximum(hidden_in, 0)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).sum() / N
        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": hidden.T.dot(dscores) + 2 * reg * W2, "b2": dscores.sum(axis=0)}
        dhidden = dscores.dot(W2.T) * (hidden_in > 0)
        grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        for it in xrange(num_iters):
            idx = np.random.choice(X.shape[0], batch_size)
            _, grads = self.loss(X[idx], y[idx], reg=reg)
            for k in self.params:
                self.params[k] -= learning_rate * grads[k]
        return {}

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)
