import numpy as np


class MSELoss:
    def forward(self, A, Y):
        self.A = A
        self.Y = Y
        self.N, self.C = A.shape
        se = (A - Y) * (A - Y)
        sse = np.ones((self.N, 1)).T @ se @ np.ones((self.C, 1))
        mse = sse / (self.N * self.C)
        return mse[0, 0]

    def backward(self):
        dLdA = 2 * (self.A - self.Y) / (self.N * self.C)
        return dLdA


class CrossEntropyLoss:
    def forward(self, A, Y):
        self.A = A
        self.Y = Y
        N = A.shape[0]
        shifted = A - np.max(A, axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.softmax = np.exp(log_softmax)
        crossentropy = -np.sum(Y * log_softmax, axis=1)
        L = np.sum(crossentropy) / N
        return L

    def backward(self):
        N = self.A.shape[0]
        dLdA = (self.softmax - self.Y) / N
        return dLdA
