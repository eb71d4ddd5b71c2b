import numpy as np

from layers import Linear, ReLU
from losses import softmax


class MLP:
    def __init__(self, sizes, activation="relu", rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        self.layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Linear(a, b, rng))
            if i < len(sizes) - 2:
                self.layers.append(ReLU())

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def predict(self, x):
        return self.forward(x).argmax(axis=1)


def train(model, X, y, *, epochs=2, batch_size=32, lr=0.1, rng=None):
    from optim import SGD
    rng = rng if rng is not None else np.random.default_rng()
    opt = SGD(model.layers, lr)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for s in range(0, len(X), batch_size):
            idx = order[s:s + batch_size]
            p = softmax(model.forward(X[idx]))
            total += -np.log(p[np.arange(len(idx)), y[idx]] + 1e-12).sum()
            g = p.copy()
            g[np.arange(len(idx)), y[idx]] -= 1
            model.backward(g / len(idx))
            opt.step()
        losses.append(total / len(X))
    return losses
