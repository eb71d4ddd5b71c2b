"""The default profile's numerical-gradient checks, run on one chosen example each with
correct code whose gradient is tiny next to its forward's terms: round-off of the central
differences must not fail it (gradcheck's round-off floor), and a real bug of the same
size still fails."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from grader.checks import strategies as S
from grader.checks.findings import CheckFailure
from grader.profiles.default.checks import test_activations, test_losses


class Local:
    """A student object called in process, with the RemoteObject face the checks use; arrays
    are copied both ways as the channel copies them."""

    def __init__(self, obj) -> None:
        self.obj = obj

    def call(self, name, *args):
        return copy.deepcopy(getattr(self.obj, name)(*copy.deepcopy(args)))

    def call_each(self, name, arguments, **_):
        return [self.call(name, *args) for args in arguments]

    def call_chain(self, *calls, **_):
        return [self.call(name, *args) for name, args in calls]


class Student:
    def __init__(self, **classes) -> None:
        self.classes = classes

    def new(self, module, cls, *args):
        return Local(self.classes[cls](*args))


class LogsumexpCrossEntropy:
    """Correct, written as students do: p = exp(z - logsumexp(z))."""

    def forward(self, logits, y):
        m = logits.max(axis=1, keepdims=True)
        self.p = np.exp(logits - (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))))
        self.y = y
        return float(np.mean(-np.log(self.p[np.arange(len(y)), y])))

    def backward(self):
        grad = self.p.copy()
        grad[np.arange(len(self.y)), self.y] -= 1.0
        return grad / len(self.y)


class TenPercentOffCrossEntropy(LogsumexpCrossEntropy):
    def backward(self):
        return 1.1 * super().backward()


class Sigmoid:
    def forward(self, x):
        self.s = 1.0 / (1.0 + np.exp(-x))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1.0 - self.s)


class Tanh:
    def forward(self, x):
        self.t = np.tanh(x)
        return self.t

    def backward(self, grad_out):
        return grad_out * (1.0 - self.t ** 2)


CONFIDENT = S.Classification(np.array([[-9.3, -8.3, 5.67]]), np.array([2]))
ce_numerical = test_losses.test_cross_entropy_gradient_numerical.hypothesis.inner_test
activation_numerical = test_activations.test_gradient_numerical.hypothesis.inner_test


def test_a_confident_correct_cross_entropy_passes_the_numerical_check():
    ce_numerical(Student(SoftmaxCrossEntropy=LogsumexpCrossEntropy), CONFIDENT)


def test_a_gradient_ten_percent_off_still_fails_it_on_the_same_example():
    with pytest.raises(CheckFailure) as failed:
        ce_numerical(Student(SoftmaxCrossEntropy=TenPercentOffCrossEntropy), CONFIDENT)
    assert failed.value.diagnoses[0].id in ("wrong-gradient", "gradient-scale")


@pytest.mark.parametrize("kind, x", [("sigmoid", [[12.0, 13.5, 15.0]]), ("tanh", [[9.0, 10.0, 11.0]])])
def test_a_saturated_correct_activation_at_one_sample_passes_the_numerical_check(kind, x):
    case = S.ActivationCase(np.array(x), np.array([[0.7, -0.3, 0.9]]))
    activation_numerical(Student(Sigmoid=Sigmoid, Tanh=Tanh), kind, case)
