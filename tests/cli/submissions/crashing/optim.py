"""SGD whose step kills its own process, as a segfault in a C extension would."""

import os
import signal


class SGD:
    def __init__(self, layers: list, lr: float = 0.1) -> None:
        self.layers = layers
        self.lr = lr

    def step(self) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)
