import numpy as np


def huge_array():
    return np.ones((100_000, 100_000))


def gradual():
    hog = []
    while True:
        hog.append(bytearray(8 << 20))


def touch_pages():
    a = np.empty((4 << 30) // 8)
    a[:] = 1.0
    return a.sum()
