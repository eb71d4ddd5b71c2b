"""The SGD step's signature: moving up the gradient, a wrong learning rate, a parameter left
unchanged.
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.gradcheck import relative_error
from grader.checks.signatures.factors import _near, constant_factor
from grader.checks.signatures.match import _numeric
from grader.results import Diagnosis


def sgd_signature(before: np.ndarray, after: object, grad: np.ndarray, lr: float, *,
                  what: str) -> Diagnosis | None:
    """Classify W_after - W_before against -lr * grad."""
    before = np.asarray(before, dtype=np.float64)
    if not _numeric(after) or np.asarray(after).shape != before.shape:
        return diagnosis("optimizer-update", f"after SGD.step {what} has shape "
                         f"{np.asarray(after).shape}, not {before.shape}")
    step = np.asarray(after, dtype=np.float64) - before
    expected = -lr * np.asarray(grad, dtype=np.float64)
    if relative_error(step, expected, atol=1e-12) <= 1e-7:
        return None
    if not np.all(np.isfinite(step)):
        return diagnosis("optimizer-update", f"SGD.step makes {what} non-finite")
    if lr != 0.0 and np.max(np.abs(step)) == 0.0:
        return diagnosis("optimizer-skips-parameters", f"SGD.step leaves {what} unchanged: update "
                         "every layer's W and b (W -= lr * dW, b -= lr * db)")
    if lr == 0.0:
        return diagnosis("optimizer-update", f"with lr = 0 SGD.step still changes {what}: it "
                         "ignores the learning rate passed to SGD(layers, lr)")
    c = constant_factor(step, grad)
    if c is not None:
        if _near(c, -lr, 1e-6):
            return None
        if c > 0:
            return diagnosis("optimizer-direction", f"SGD.step moves {what} up the gradient "
                             "(W += lr * dW); gradient descent subtracts: W -= lr * dW")
        return diagnosis("optimizer-update", f"SGD.step moves {what} by {-c:.4g} * grad with "
                         f"lr = {lr:g}: use the lr passed to SGD(layers, lr): W -= lr * dW")
    return diagnosis("optimizer-update", f"SGD.step does not change {what} by -lr * grad")
