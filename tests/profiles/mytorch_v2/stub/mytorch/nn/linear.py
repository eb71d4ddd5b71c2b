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
        Z = None  # TODO

        return NotImplemented

    def backward(self, dLdZ):

        dZdA = None  # TODO
        dZdW = None  # TODO
        dZdb = None  # TODO

        dLdA = None  # TODO
        dLdW = None  # TODO
        dLdb = None  # TODO
        self.dLdW = None  # TODO: averaged over the batch
        self.dLdb = None  # TODO: averaged over the batch

        if self.debug:
            self.dZdA = dZdA
            self.dZdW = dZdW
            self.dZdb = dZdb
            self.dLdA = dLdA

        return NotImplemented
