from mytorch.nn.activation import ReLU
from mytorch.nn.linear import Linear


class MLP0:
    def __init__(self, debug=False):
        self.layers = [Linear(2, 3), ReLU()]
        self.debug = debug

    def forward(self, A0):
        Z0 = self.layers[0].forward(A0)
        A1 = self.layers[1].forward(Z0)
        if self.debug:
            self.Z0 = Z0
            self.A1 = A1
        return A1

    def backward(self, dLdA1):
        dLdZ0 = self.layers[1].backward(dLdA1)
        dLdA0 = self.layers[0].backward(dLdZ0)
        if self.debug:
            self.dLdZ0 = dLdZ0
            self.dLdA0 = dLdA0
        return dLdA0


class MLP1:
    def __init__(self, debug=False):
        self.layers = [Linear(2, 3), ReLU(), Linear(3, 2), ReLU()]
        self.debug = debug

    def forward(self, A0):
        Z0 = self.layers[0].forward(A0)
        A1 = self.layers[1].forward(Z0)
        Z1 = self.layers[2].forward(A1)
        A2 = self.layers[3].forward(Z1)
        if self.debug:
            self.Z0, self.A1, self.Z1, self.A2 = Z0, A1, Z1, A2
        return A2

    def backward(self, dLdA2):
        dLdZ1 = self.layers[3].backward(dLdA2)
        dLdA1 = self.layers[2].backward(dLdZ1)
        dLdZ0 = self.layers[1].backward(dLdA1)
        dLdA0 = self.layers[0].backward(dLdZ0)
        if self.debug:
            self.dLdZ1, self.dLdA1, self.dLdZ0, self.dLdA0 = dLdZ1, dLdA1, dLdZ0, dLdA0
        return dLdA0


class MLP4:
    def __init__(self, debug=False):
        widths = [2, 4, 8, 8, 4, 2]
        self.layers = []
        for i in range(len(widths) - 1):
            self.layers.append(Linear(widths[i], widths[i + 1]))
            self.layers.append(ReLU())
        self.debug = debug

    def forward(self, A):
        if self.debug:
            self.A = [A]
        for layer in self.layers:
            A = layer.forward(A)
            if self.debug:
                self.A.append(A)
        return A

    def backward(self, dLdA):
        if self.debug:
            self.dLdA = [dLdA]
        for layer in reversed(self.layers):
            dLdA = layer.backward(dLdA)
            if self.debug:
                self.dLdA = [dLdA] + self.dLdA
        return dLdA
