import numpy as np


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self):
        return np.ones(self.A.shape)


class Sigmoid:
    def forward(self, Z):
        self.A = 1.0 / (1.0 + np.exp(-Z))
        return self.A

    def backward(self):
        return self.A * (1.0 - self.A)


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self):
        return 1.0 - self.A ** 2


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0.0)
        return self.A

    def backward(self):
        return (self.A > 0).astype(float)
