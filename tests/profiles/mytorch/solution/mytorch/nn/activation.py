import numpy as np
from scipy.special import erf


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        dAdZ = np.ones(self.A.shape, dtype="f")
        dLdZ = dLdA * dAdZ
        return dLdZ


class Sigmoid:
    def forward(self, Z):
        self.A = 1.0 / (1.0 + np.exp(-Z))
        return self.A

    def backward(self, dLdA):
        dAdZ = self.A - self.A * self.A
        dLdZ = dLdA * dAdZ
        return dLdZ


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA):
        dAdZ = 1 - self.A * self.A
        dLdZ = dLdA * dAdZ
        return dLdZ


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(0, Z)
        return self.A

    def backward(self, dLdA):
        dAdZ = np.where(self.A > 0, 1.0, 0.0)
        dLdZ = dLdA * dAdZ
        return dLdZ


class GELU:
    def forward(self, Z):
        self.Z = Z
        self.A = 0.5 * Z * (1 + erf(Z / np.sqrt(2)))
        return self.A

    def backward(self, dLdA):
        Z = self.Z
        dAdZ = 0.5 * (1 + erf(Z / np.sqrt(2))) + Z / np.sqrt(2 * np.pi) * np.exp(-Z * Z / 2)
        dLdZ = dLdA * dAdZ
        return dLdZ


class Softmax:
    def forward(self, Z):
        shifted = Z - np.max(Z, axis=1, keepdims=True)
        expZ = np.exp(shifted)
        self.A = expZ / np.sum(expZ, axis=1, keepdims=True)
        return self.A

    def backward(self, dLdA):
        N, C = dLdA.shape
        dLdZ = np.zeros((N, C))
        for i in range(N):
            a = self.A[i]
            J = np.diag(a) - np.outer(a, a)
            dLdZ[i, :] = dLdA[i, :] @ J
        return dLdZ
