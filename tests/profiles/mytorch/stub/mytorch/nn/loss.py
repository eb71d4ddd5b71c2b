import numpy as np


class MSELoss:

    def forward(self, A, Y):
        self.A = A
        self.Y = Y
        N = None  # TODO
        C = None  # TODO
        se = None  # TODO
        sse = None  # TODO
        mse = None  # TODO

        return NotImplemented

    def backward(self):
        dLdA = None  # TODO

        return NotImplemented


class CrossEntropyLoss:

    def forward(self, A, Y):
        self.A = A
        self.Y = Y
        N = None  # TODO
        C = None  # TODO
        self.softmax = None  # TODO
        crossentropy = None  # TODO
        L = None  # TODO

        return NotImplemented

    def backward(self):
        dLdA = None  # TODO

        return NotImplemented
