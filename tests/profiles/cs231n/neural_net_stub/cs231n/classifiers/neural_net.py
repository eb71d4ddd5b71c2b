# A fixture written for the grader's tests in the style of the 2016-2020 assignment1
# classifiers/neural_net.py as handed out: the constructor and most of train are given; loss,
# predict and train's sampling and update are still TODO.
from __future__ import print_function

from builtins import range
from builtins import object
import numpy as np
import matplotlib.pyplot as plt
from past.builtins import xrange


class TwoLayerNet(object):
    """input - fully connected - ReLU - fully connected - softmax, weights (in, out)."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        """Scores (N, C) when y is None, else (loss, grads)."""
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape

        scores = None
        # TODO: the forward pass, scores (N, C) in `scores`.
        pass

        if y is None:
            return scores

        loss = None
        # TODO: softmax loss plus L2 regularisation of W1 and W2.
        pass

        grads = {}
        # TODO: the backward pass, grads keyed like self.params.
        pass

        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train / batch_size, 1)
        loss_history, train_acc_history, val_acc_history = [], [], []

        for it in xrange(num_iters):
            X_batch = None
            y_batch = None
            # TODO: a random minibatch in X_batch and y_batch.
            pass

            loss, grads = self.loss(X_batch, y=y_batch, reg=reg)
            loss_history.append(loss)

            # TODO: update self.params with the gradients (plain SGD).
            pass

            if verbose and it % 100 == 0:
                print("iteration %d / %d: loss %f" % (it, num_iters, loss))

            if it % iterations_per_epoch == 0:
                train_acc_history.append((self.predict(X_batch) == y_batch).mean())
                val_acc_history.append((self.predict(X_val) == y_val).mean())
                learning_rate *= learning_rate_decay

        return {"loss_history": loss_history, "train_acc_history": train_acc_history,
                "val_acc_history": val_acc_history}

    def predict(self, X):
        """Predicted labels (N,)."""
        y_pred = None
        # TODO: the labels with the highest scores.
        pass

        return y_pred
