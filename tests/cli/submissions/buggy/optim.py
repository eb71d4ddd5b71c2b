"""SGD with a sign error: the update moves up the gradient (optimizer-direction)."""


class SGD:
    def __init__(self, layers: list, lr: float = 0.1) -> None:
        self.layers = layers
        self.lr = lr

    def step(self) -> None:
        for layer in self.layers:
            if hasattr(layer, "W") and hasattr(layer, "b"):
                layer.W += self.lr * layer.dW  # BUG: should be -=
                layer.b += self.lr * layer.db
