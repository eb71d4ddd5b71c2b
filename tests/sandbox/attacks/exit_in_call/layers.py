import sys


class Linear:
    def __init__(self, *a, **k):
        pass

    def forward(self, x):
        print("bye")
        sys.exit(0)

    def alive(self):
        return "yes"
