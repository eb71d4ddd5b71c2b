import numpy as np

from mytorch.nn.linear import Linear
from mytorch.nn.activation import ReLU


class MLP0:

    def __init__(self, debug=False):
        self.layers = None  # TODO: a Linear(2, 3) and a ReLU
        self.debug = debug

    def forward(self, A0):
        Z0 = None  # TODO
        A1 = None  # TODO

        if self.debug:
            self.Z0 = Z0
            self.A1 = A1

        return NotImplemented

    def backward(self, dLdA1):
        dLdZ0 = None  # TODO
        dLdA0 = None  # TODO

        if self.debug:
            self.dLdZ0 = dLdZ0
            self.dLdA0 = dLdA0

        return NotImplemented


class MLP1:

    def __init__(self, debug=False):
        self.layers = None  # TODO: Linear(2, 3), ReLU, Linear(3, 2), ReLU
        self.debug = debug

    def forward(self, A0):
        return NotImplemented

    def backward(self, dLdA2):
        return NotImplemented


class MLP4:

    def __init__(self, debug=False):
        self.layers = None  # TODO: Linear layers 2-4-8-8-4-2, a ReLU after each
        self.debug = debug

    def forward(self, A):
        return NotImplemented

    def backward(self, dLdA):
        return NotImplemented
