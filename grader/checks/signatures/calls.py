"""Signatures across calls: a gradient kept or accumulated from an earlier call, a second
identical call that differs, a sample's result that depends on its batch, and a backward
right for the contract but not for the student's own forward.
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.signatures.match import matches
from grader.results import Diagnosis


def stale_gradient_signature(first_grad: object, second_grad: object, *, what: str) -> Diagnosis | None:
    """A second backward with the same input gives twice the first -> accumulation."""
    if matches(second_grad, 2.0 * np.asarray(first_grad, dtype=np.float64)):
        return diagnosis("stale-gradient", f"{what} doubles on a second backward with the same "
                         "input: it accumulates (+=); assign the new gradient (=) instead")
    return None


def accumulated_signature(previous: object, current: object, fresh: object, *,
                          what: str) -> Diagnosis | None:
    """current = previous + fresh: gradients summed across backward calls -> stale-gradient."""
    prev = np.asarray(previous, dtype=np.float64)
    if matches(current, prev + np.asarray(fresh, dtype=np.float64)):
        return diagnosis("stale-gradient", f"{what} is the sum of this backward's gradient and the "
                         "previous one: overwrite it (self.dW = ...), do not accumulate (+=)")
    return None


def repeat_mismatch(first_value: object, second_value: object, *, what: str,
                    call: str) -> Diagnosis:
    """Two identical calls disagree: something cached was modified in place."""
    example = ("delta = probs; delta[...] -= 1" if "SoftmaxCrossEntropy" in call
                else "self.cache *= 2, or an out= argument")
    return diagnosis("input-mutation", f"calling {call} twice with the same input gives different "
                     f"{what}: it modifies a cached array in place (e.g. {example}); copy before "
                     "editing, or compute into a new array")


# -- batches ------------------------------------------------------------------------------
def batch_dependence_diagnosis(*, what: str) -> Diagnosis:
    return diagnosis("batch-dependence", f"{what}: the output for one sample changes when the "
                     "other samples in the batch change; compute each row from its own input only "
                     "(no statistics over axis 0)")


def forward_is_the_problem(got: object, reference_grad: object, *, what: str) -> Diagnosis | None:
    """In a numerical-gradient check: the backward equals the contract's gradient, so the
    disagreement with the student's own forward means the *forward* is wrong."""
    if matches(got, reference_grad, rtol=1e-8):
        return diagnosis("wrong-forward", f"{what}.backward is the contract's gradient, but your "
                         f"{what}.forward is not the function it differentiates: fix the forward "
                         "(see the forward check)")
    return None
