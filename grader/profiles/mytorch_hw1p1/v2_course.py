"""What the 2.0.1 autograder itself would say: a component replayed on the course's own fixed
inputs (facts read from the official script; the expected values come from reference.py).

A check that finds a bug asks, through `missed_by_course`, whether the course's own test of
that component passes anyway; if so the failure carries the sentence saying the course's
tests miss it (the report lists it as a bug the course misses; the points are still lost).
The losses are replayed (their course test is one fixed batch); SGD's course test misses are
static markers on the SGD checks (the same one-layer test in 2.0.1 and 3.0.1).

The course compares `np.allclose(x.round(4), solution)`: values are judged here to 1e-4.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import numpy as np

from grader.checks.framework import CheckFailure, NotAssigned
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.sandbox import StudentFailure

#: The course's loss example: a batch of 4 with 2 classes (the same A and Y for both losses).
LOSS_A = np.arange(-4.0, 4.0).reshape(4, 2)
LOSS_Y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
#: The course's Linear example: A (4, 2), W (3, 2) in MyTorch's (out, in), b (3, 1), dLdZ (4, 3);
#: its Linear section checks Z and dLdA (and the debug dZdA, dZdW, dZdb), never dLdW or dLdb.
LINEAR_A = np.arange(-4.0, 4.0).reshape(4, 2)
LINEAR_W = np.array([[-2.0, -1.0], [0.0, 1.0], [2.0, 3.0]]).T  # canonical (in, out)
LINEAR_B = np.array([-1.0, 0.0, 1.0])
LINEAR_DLDZ = np.arange(-4.0, 8.0).reshape(4, 3)
TOLERANCE = 1e-4

LINEAR_MISSED = ("the 2.0.1 autograder's Linear section checks Z and dLdA only; it reads dLdW "
                 "and dLdb through its MLP sections")
LOSS_MISSED = ("the 2.0.1 autograder tests {name} on one fixed 4 x 2 batch only, where this "
               "code gives the right numbers")


def _passes(replay: Callable[[], bool]) -> bool:
    """The replay's verdict; a replay that cannot run (the student's code fails) fails."""
    try:
        return replay()
    except (CheckFailure, StudentFailure, NotAssigned, ValueError, TypeError):
        return False


@contextlib.contextmanager
def missed_by_course(legacy: bool, replay: Callable[[], bool], sentence: str) -> Iterator[None]:
    """Around a check's comparisons: a CheckFailure is marked as missed by the course when the
    release graded is 2.0.x (`legacy`) and the course's own test (`replay`) passes."""
    try:
        yield
    except CheckFailure as exc:
        if legacy and not exc.course_misses and _passes(replay):
            exc.course_misses = sentence
        raise


def linear_passes(mytorch: Any) -> bool:
    """The course's Linear section: Z and dLdA on its fixed example."""
    layer = mytorch.linear(2, 3, debug=True)
    layer.set_params(LINEAR_W, LINEAR_B)
    Z = np.asarray(layer.forward(LINEAR_A), dtype=np.float64)
    dLdA = np.asarray(layer.backward(LINEAR_DLDZ), dtype=np.float64)
    want_Z = R.linear_forward(LINEAR_A, LINEAR_W, LINEAR_B)
    want_dLdA = R.linear_backward(LINEAR_A, LINEAR_W, LINEAR_DLDZ)[0]
    return (Z.shape == want_Z.shape and dLdA.shape == want_dLdA.shape
            and bool(np.allclose(Z, want_Z, rtol=0.0, atol=TOLERANCE))
            and bool(np.allclose(dLdA, want_dLdA, rtol=0.0, atol=TOLERANCE)))


def loss_passes(mytorch: Any, name: str) -> bool:
    """The course's loss test: value and gradient on LOSS_A, LOSS_Y (in the adapter's 3.0.x
    units, the 2.0.x values converted exactly)."""
    face = mytorch.loss(name)
    value = face.forward(LOSS_A, LOSS_Y)
    grad = face.backward()
    want_value, want_grad = (R.mse if name == "MSELoss" else R.cross_entropy)(LOSS_A, LOSS_Y)
    scale = 2.0 if name == "MSELoss" else 1.0 / LOSS_A.shape[0]  # 1e-4 in the course's units
    return (abs(float(value) - want_value) <= TOLERANCE * (2.0 if name == "MSELoss" else 1.0)
            and bool(np.allclose(np.asarray(grad, dtype=np.float64), want_grad, rtol=0.0,
                                 atol=TOLERANCE * scale)))

