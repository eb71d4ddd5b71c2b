"""Blame the producer: a shape error raised where a gradient was used names the gradient."""

from __future__ import annotations

import numpy as np

from grader.checks import diagnose as D
from grader.sandbox import StudentException

TRIPPED = StudentException("SGD.step() raised ValueError: operands could not be broadcast together "
                           "with shapes (64,784) (784,64) .", exc_type="ValueError",
                           frames=(("mytorch/optim/sgd.py", 16, "step", "W = W - lr * dLdW"),))


def test_a_transposed_gradient_is_named_with_the_contract():
    problem = D.gradient_shape_problem([("Linear 1 of 2", "dLdW", "W", np.zeros((784, 64)), np.zeros((64, 784)))])
    assert problem.startswith("Linear 1 of 2's dLdW has shape (784, 64); the contract is (64, 784)")
    assert "transpose" in problem


def test_a_bias_gradient_that_keeps_the_batch_axis_says_sum_it():
    problem = D.gradient_shape_problem([("Linear 1 of 2", "dW", "W", np.zeros((3, 4)), np.zeros((3, 4))),
                                        ("Linear 1 of 2", "db", "b", np.zeros((8, 4)), np.zeros(4))])
    assert "db has shape (8, 4); the contract is (4,)" in problem and "batch" in problem


def test_right_shapes_and_unset_gradients_blame_nobody():
    assert D.gradient_shape_problem([("Linear 1 of 1", "dW", "W", np.zeros((3, 4)), np.zeros((3, 4))),
                                     ("Linear 1 of 1", "db", "b", None, np.zeros(4))]) == ""
    assert D.blame_producer(TRIPPED, "", "Linear.backward") is None


def test_the_retold_failure_names_the_producer_first_and_keeps_the_students_frames():
    blamed = D.blame_producer(TRIPPED, "Linear 1 of 2's dLdW has shape (784, 64); the contract is (64, 784)",
                              "Linear.backward")
    assert blamed.diagnosis == "shape-mismatch"
    assert blamed.message.index("Linear 1 of 2's dLdW") < blamed.message.index("Fix Linear.backward") \
        < blamed.message.index("SGD.step() raised")
    assert blamed.frames == TRIPPED.frames


def test_only_numpys_shape_errors_are_retold():
    assert D.is_shape_error(TRIPPED)
    assert D.is_shape_error(StudentException("train() raised ValueError: non-broadcastable output operand "
                                             "with shape (64,)", exc_type="ValueError"))
    assert not D.is_shape_error(StudentException("step() raised KeyError: 'lr'", exc_type="KeyError"))
    assert not D.is_shape_error(ValueError("shapes (2,) (3,)"))


class _Layer:
    """A RemoteObject stand-in: get/has over a dict."""

    def __init__(self, **arrays):
        self.arrays = arrays

    def has(self, name):
        return name in self.arrays

    def get(self, name):
        return self.arrays[name]


def test_blame_gradients_reads_the_layers_and_finds_the_wrong_one():
    layers = [_Layer(W=np.zeros((2, 3)), dW=np.zeros((2, 3)), b=np.zeros(3), db=np.zeros(3)),
              _Layer(W=np.zeros((3, 4)), dW=np.zeros((4, 3)), b=np.zeros(4))]
    blamed = D.blame_gradients(TRIPPED, layers, (("dW", "W"), ("db", "b")))
    assert blamed is not None and blamed.message.startswith("Linear 2 of 2's dW has shape (4, 3)")
    assert D.blame_gradients(StudentException("x raised KeyError: 'a'", exc_type="KeyError"), layers,
                             (("dW", "W"),)) is None
