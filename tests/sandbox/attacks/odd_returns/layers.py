import numpy as np


class Sub(np.ndarray):
    def __eq__(self, other):
        return True


class ArrayLike:
    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)


class MyFloat(float):
    def __eq__(self, other):
        return True


def subclass():
    return np.zeros(3).view(Sub)


def matrix():
    return np.matrix([[1.0, 2.0]])


def masked():
    return np.ma.masked_array([1.0, 2.0], mask=[0, 1])


def object_array():
    return np.array([1.0, "x", None], dtype=object)


def array_like():
    return ArrayLike()


def float128():
    return np.ones(3, dtype=np.longdouble)


def complex_array():
    return np.ones(3, dtype=np.complex128)


def complex_scalar():
    return np.complex128(1 + 2j)


def python_complex():
    return 1 + 2j


def float_subclass():
    return MyFloat(1.0)


def nested_subclass():
    return {"ok": [1.0, np.zeros(2).view(Sub)]}


def cycle():
    a = []
    a.append(a)
    return a


def big_int():
    return 10 ** 5000


def non_str_keys():
    return {1: "a"}


def string_array():
    return np.array(["a", "b"])


def fine():
    return np.arange(3.0)
