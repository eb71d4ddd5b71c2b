"""Checks of the throwaway course profile: one of each kind issue 20 adds."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.framework import beyond_course, course_misses, fail, not_assigned, tags, title
from grader.checks.mutation import expect_unmodified

X = np.array([[-1.0, 2.0], [3.0, -4.0]])


@tags("relu")
@title("relu_forward: values")
def test_relu_values(student):
    out = student.call("layers", "relu_forward", X)
    if not np.allclose(out, np.maximum(X, 0)):
        fail("wrong-forward", "relu_forward must return max(x, 0)")


@tags("relu")
@title("relu_forward: leaves x unchanged")
@beyond_course("the course's own tests never look at x after the call")
def test_relu_keeps_input(student):
    student.call("layers", "relu_forward", X)
    expect_unmodified(student, what="relu_forward", names=("x",))


@tags("relu")
@title("relu_forward: large inputs")
@beyond_course("the course's own tests never try |x| near 1e3")
def test_relu_large_inputs(student):
    big = X * 1e3
    out = student.call("layers", "relu_forward", big)
    if not np.all(np.isfinite(out)):
        fail("softmax-overflow", "relu_forward overflows at |x| near 1e3")


@tags("relu")
@title("relu_backward: gradient")
@course_misses("the course's own tests give full marks to a relu_backward that ignores dout")
def test_relu_backward(student):
    dout = np.array([[5.0, 6.0], [7.0, 8.0]])
    got = student.call("layers", "relu_backward", dout, X)
    if not np.allclose(got, dout * (X > 0)):
        fail("relu-mask", "relu_backward must return dout where x > 0, else 0")


@tags("relu")
@title("relu_forward: returns a copy in v1")
def test_relu_v1_only(student, release):
    if release is not None and release.name == "v2":
        not_assigned("the v2 handout says nothing about copies")
    out = student.call("layers", "relu_forward", X)
    if not np.allclose(out, np.maximum(X, 0)):
        fail("wrong-forward", "relu_forward must return max(x, 0)")


@tags("linear")
@title("affine_forward: values")
def test_affine(student):
    w, b = np.eye(2), np.ones(2)
    out = student.call("layers", "affine_forward", X, w, b)
    if not np.allclose(out, X @ w + b):
        fail("wrong-forward", "affine_forward must return x @ w + b")


@tags("linear")
@title("fast path uses the provided file")
def test_uses_provided(student):
    out = student.call("layers", "via_provided", X)
    if not np.allclose(out, X * 2):
        fail("wrong-forward", "via_provided must return 2 x")
