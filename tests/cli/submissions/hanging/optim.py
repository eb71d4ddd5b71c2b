"""SGD whose step never returns (an accidental infinite loop)."""


class SGD:
    def __init__(self, layers: list, lr: float = 0.1) -> None:
        self.layers = layers
        self.lr = lr

    def step(self) -> None:
        i = 0
        while i >= 0:  # BUG: the loop variable is never used to stop
            i += 1
