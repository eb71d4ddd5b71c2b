class SGD:
    def __init__(self, layers, lr=0.1):
        self.layers = layers
        self.lr = lr

    def step(self):
        for layer in self.layers:
            if hasattr(layer, "W"):
                layer.W = layer.W - self.lr * layer.dW
                layer.b = layer.b - self.lr * layer.db
