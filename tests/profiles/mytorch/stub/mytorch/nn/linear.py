import numpy as np


class Linear:

    def __init__(self, in_features, out_features, debug=False):
        # TODO: W (out_features, in_features) and b (out_features, 1), both zeros
        self.W = None
        self.b = None

        self.debug = debug

    def forward(self, A):
        self.A = None  # TODO
        self.N = None  # TODO: the batch size
        self.Ones = np.ones((self.N, 1))
        Z = None  # TODO

        return NotImplemented

    def backward(self, dLdZ):
        dLdA = None  # TODO
        self.dLdW = None  # TODO
        self.dLdb = None  # TODO

        if self.debug:
            self.dLdA = dLdA

        return NotImplemented
