"""One call of train() that must be exactly one SGD step, and what its weight change says.

With epochs=1 and batch_size=N on N samples, a correct train() makes one
update, W <- W - lr * dW of the *mean* loss, whatever order it shuffles the
rows in. The grader measures the weight change `delta` and the expected step
`-lr * g` (g: the student's own layers' gradient of the mean cross-entropy,
computed on a twin model), fits delta ~= c * (-lr * g) by least squares and
names the constant:

    c = 1          correct
    c = 0          no update at all (no backward, no step, or the step is lost)
    c = -1         gradient ascent
    c = N          the loss (or its gradient) is summed over the batch, not averaged
    c = 1/N        divided by N twice
    other, clean   the learning rate is not applied as given
    no clean fit   the update is not a multiple of the gradient
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grader.training.instrument import OK, Verdict

Params = list[tuple[np.ndarray, np.ndarray]]

CLEAN_RESIDUAL = 0.05   # |delta - c e| / |delta| below this: delta is c times the step
SCALE_TOL = 0.05        # relative tolerance when naming c


def flatten(params: Params) -> np.ndarray:
    if not params:
        return np.zeros(0)
    return np.concatenate([np.concatenate([np.ravel(W), np.ravel(b)]) for W, b in params])


@dataclass
class StepFit:
    scale: float          # c
    residual: float       # relative residual of the fit
    delta_norm: float
    step_norm: float

    def describe(self) -> str:
        return f"c = {self.scale:.4g} (fit residual {self.residual:.1%})"


def fit_step(delta: np.ndarray, step: np.ndarray) -> StepFit:
    """Least-squares c in delta ~= c * step; both flat float arrays of one length."""
    dn, sn = float(np.linalg.norm(delta)), float(np.linalg.norm(step))
    if not (math.isfinite(dn) and math.isfinite(sn)):
        return StepFit(math.nan, math.inf, dn, sn)
    if sn == 0.0:
        return StepFit(0.0 if dn == 0 else math.inf, 0.0 if dn == 0 else 1.0, dn, sn)
    c = float(delta @ step / (sn * sn))
    res = float(np.linalg.norm(delta - c * step) / dn) if dn > 0 else 0.0
    return StepFit(c, res, dn, sn)


def _near(c: float, target: float) -> bool:
    return abs(c - target) <= SCALE_TOL * abs(target)


def step_verdict(fit: StepFit, *, n_rows: int, lr: float, backward_calls: int | None) -> Verdict:
    """Name what one train() call on one full batch of `n_rows` did (see the module doc)."""
    c = fit.scale
    if not math.isfinite(fit.delta_norm):
        return Verdict("divergence",
                       "one epoch of train() on one batch turned the weights into inf/NaN")
    if fit.delta_norm == 0.0:
        return Verdict("no-learning",
                       f"train(epochs=1, batch_size={n_rows}) on {n_rows} samples left every weight "
                       "unchanged: it must call model.backward(...) and then W -= lr * dW for the batch")
    if fit.step_norm == 0.0 or not math.isfinite(c):
        return OK  # the student's layers give no gradient: the layer checks report that
    if fit.residual > CLEAN_RESIDUAL:
        if backward_calls is not None and backward_calls > 1:
            return Verdict("ignores-hyperparameters",
                           f"train(epochs=1, batch_size={n_rows}) on {n_rows} samples made "
                           f"{backward_calls} backward passes instead of one: it must cut batches "
                           "with the batch_size argument and run the epochs argument's number of epochs")
        return Verdict("optimizer-update",
                       f"after train(epochs=1, batch_size={n_rows}) on {n_rows} samples the weights "
                       f"did not move by -lr * dW of the mean loss (the change is not a multiple of "
                       f"the gradient, {fit.residual:.0%} off): make exactly one step W -= lr * dW, "
                       "b -= lr * db per mini-batch")
    if _near(c, 1.0):
        return OK
    if abs(c) < 0.01:
        # Name the effective learning rate: a hard-coded lr=1e-6 is the usual way here.
        return Verdict("no-learning",
                       f"train(epochs=1, batch_size={n_rows}, lr={lr:g}) barely moved the weights "
                       f"({c:.2g} x lr * dW), as if the learning rate were {c * lr:.2g}: a learning "
                       "rate hard-coded far too small (such as lr=1e-6) learns nothing in a few "
                       "epochs; pass the lr argument to the optimizer")
    if _near(c, -1.0):
        return Verdict("optimizer-direction",
                       "train() moves the weights up the gradient (W += lr * dW): the update must be "
                       "W -= lr * dW, which lowers the loss", more=[
                           ("divergence", "so the loss grows during training instead of falling")])
    if c < 0:
        return Verdict("optimizer-direction",
                       f"train() moves the weights up the gradient ({c:.3g} x lr * dW): the update "
                       "must be W -= lr * dW")
    if n_rows > 1 and _near(c, float(n_rows)):
        if backward_calls is not None and backward_calls >= n_rows > 1:
            return Verdict("ignores-hyperparameters",
                           f"train() updates the weights after every single sample ({backward_calls} "
                           f"backward passes) instead of once per mini-batch of batch_size={n_rows}")
        return Verdict("loss-reduction",
                       f"on a batch of {n_rows} the update is {c:.0f}x too large: the loss or its "
                       "gradient is summed over the batch; use the mean (divide by the batch size once)",
                       more=[("gradient-scale", f"the step is {n_rows} x lr * dW of the mean loss")])
    if n_rows > 1 and _near(c, 1.0 / n_rows):
        return Verdict("gradient-scale",
                       f"on a batch of {n_rows} the update is {n_rows}x too small: the gradient is "
                       "divided by the batch size twice (once in the loss, once more elsewhere)")
    return Verdict("optimizer-update",
                   f"with lr={lr:g} train() moved the weights by {c:.3g} x lr * dW instead of "
                   "1 x: apply the lr argument once, W -= lr * dW")
