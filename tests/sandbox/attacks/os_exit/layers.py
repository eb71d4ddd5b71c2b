import os


class Linear:
    def __init__(self, *a, **k):
        pass

    def forward(self, x):
        os._exit(7)


def ok():
    return 1
