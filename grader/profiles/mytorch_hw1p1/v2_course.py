"""What the 2.0.1 autograder itself would say: a component replayed on the course's own fixed
inputs (facts read from the official script; the expected values come from reference.py).

A check that finds a bug asks, through `missed_by_course`, whether the course's own test of
that component passes anyway; if so the failure carries the sentence saying the course's
tests miss it (the report lists it as a bug the course misses; the points are still lost).

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
#: The course's SGD test: one layer, every W and b entry 1, every gradient 0.1, two steps of
#: SGD(lr=0.9, momentum=0.9) (the only SGD test it scores).
SGD_SHAPE = (2, 3)  # canonical (in, out): the course's W is (3, 2) in MyTorch's (out, in)
SGD_LR, SGD_MOMENTUM, SGD_GRAD, SGD_STEPS = 0.9, 0.9, 0.1, 2
TOLERANCE = 1e-4

LOSS_MISSED = ("the 2.0.1 autograder tests {name} on one fixed 4 x 2 batch only, where this "
               "code gives the right numbers")
SGD_MISSED = ("the 2.0.1 autograder scores SGD on one two-step momentum run of a single layer "
              "whose gradients are all equal, where this code gives the right numbers")


def _close(got: object, want: np.ndarray) -> bool:
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.shape == want.shape and bool(np.allclose(arr, want, rtol=0.0, atol=TOLERANCE))


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


def sgd_passes(mytorch: Any, run_steps: Callable[..., list]) -> bool:
    """The course's momentum test, run through the check's own `run_steps` helper."""
    params = [(np.ones(SGD_SHAPE), np.ones(SGD_SHAPE[1]))]
    grads = [[(np.full(SGD_SHAPE, SGD_GRAD), np.full(SGD_SHAPE[1], SGD_GRAD))]] * SGD_STEPS
    theirs = run_steps(mytorch, params, grads, SGD_LR, SGD_MOMENTUM)
    flat = [p for pair in params for p in pair]
    expected = R.sgd_steps(flat, [[g for pair in step for g in pair] for step in grads], SGD_LR,
                           SGD_MOMENTUM)
    return all(_close(got, want) for step, want_step in zip(theirs, expected)
               for got, want in zip([p for pair in step for p in pair], want_step))
