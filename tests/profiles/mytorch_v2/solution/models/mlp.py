from mytorch.nn.activation import ReLU
from mytorch.nn.linear import Linear


class MLP0:
    def __init__(self, debug=False):
        self.layers = [Linear(2, 3)]
        self.f = [ReLU()]
        self.debug = debug

    def forward(self, A0):
        Z0 = self.layers[0].forward(A0)
        A1 = self.f[0].forward(Z0)
        if self.debug:
            self.Z0, self.A1 = Z0, A1
        return A1

    def backward(self, dLdA1):
        dA1dZ0 = self.f[0].backward()
        dLdZ0 = dLdA1 * dA1dZ0
        dLdA0 = self.layers[0].backward(dLdZ0)
        if self.debug:
            self.dA1dZ0, self.dLdZ0, self.dLdA0 = dA1dZ0, dLdZ0, dLdA0
        return dLdA0


class MLP1:
    def __init__(self, debug=False):
        self.layers = [Linear(2, 3), Linear(3, 2)]
        self.f = [ReLU(), ReLU()]
        self.debug = debug

    def forward(self, A0):
        Z0 = self.layers[0].forward(A0)
        A1 = self.f[0].forward(Z0)
        Z1 = self.layers[1].forward(A1)
        A2 = self.f[1].forward(Z1)
        if self.debug:
            self.Z0, self.A1, self.Z1, self.A2 = Z0, A1, Z1, A2
        return A2

    def backward(self, dLdA2):
        dA2dZ1 = self.f[1].backward()
        dLdZ1 = dLdA2 * dA2dZ1
        dLdA1 = self.layers[1].backward(dLdZ1)
        dA1dZ0 = self.f[0].backward()
        dLdZ0 = dLdA1 * dA1dZ0
        dLdA0 = self.layers[0].backward(dLdZ0)
        if self.debug:
            self.dA2dZ1, self.dLdZ1, self.dLdA1 = dA2dZ1, dLdZ1, dLdA1
            self.dA1dZ0, self.dLdZ0, self.dLdA0 = dA1dZ0, dLdZ0, dLdA0
        return dLdA0


class MLP4:
    def __init__(self, debug=False):
        widths = [2, 4, 8, 8, 4, 2]
        self.layers = [Linear(a, b) for a, b in zip(widths, widths[1:])]
        self.f = [ReLU() for _ in self.layers]
        self.debug = debug

    def forward(self, A):
        self.Z, self.A = [], [A]
        for layer, f in zip(self.layers, self.f):
            Z = layer.forward(A)
            A = f.forward(Z)
            self.Z.append(Z)
            self.A.append(A)
        return A

    def backward(self, dLdA):
        self.dAdZ, self.dLdZ, self.dLdA = [], [], [dLdA]
        for layer, f in zip(reversed(self.layers), reversed(self.f)):
            dAdZ = f.backward()
            dLdZ = dLdA * dAdZ
            dLdA = layer.backward(dLdZ)
            self.dAdZ.insert(0, dAdZ)
            self.dLdZ.insert(0, dLdZ)
            self.dLdA.insert(0, dLdA)
        return dLdA
