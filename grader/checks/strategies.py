"""Named Hypothesis strategies for the component checks.

Every strategy is an ``@st.composite`` with keyword-only parameters, so a check
reads like its input: ``batches(features=...)``, ``logits(extreme=True)``.

Arrays are float64 and dense: Hypothesis draws the *shape* and a *seed*, and
NumPy fills the array from that seed. Each example is then a fresh, fully
random array (every row different, both signs everywhere), which finds
mask/axis/batch bugs far more reliably than element-wise drawing, and the
shrinker still reduces a failure to the smallest shape and a simple seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.checks.examples import share  # noqa: F401  (checks write @S.share)

#: Contract sizes the checks draw from (issue: batch 1..32, features 1..16).
MAX_BATCH = 32
MAX_FEATURES = 16
#: Largest logit magnitude of `logits(extreme=True)`.
EXTREME = 1000.0

SEEDS = st.integers(min_value=0, max_value=2**16 - 1)


def generator(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- sizes and shapes ---------------------------------------------------------------
@st.composite
def batch_sizes(draw: st.DrawFn, *, min_size: int = 1, max_size: int = MAX_BATCH) -> int:
    """N, the number of samples in a batch."""
    return draw(st.integers(min_value=min_size, max_value=max_size))


@st.composite
def feature_sizes(draw: st.DrawFn, *, min_size: int = 1, max_size: int = MAX_FEATURES) -> int:
    return draw(st.integers(min_value=min_size, max_value=max_size))


@st.composite
def layer_shapes(draw: st.DrawFn, *, min_features: int = 1, max_features: int = MAX_FEATURES,
                 square: bool = False) -> tuple[int, int]:
    """(in_features, out_features) of a Linear; never square unless asked, so that a
    transposed weight or gradient shows up as a shape error instead of hiding."""
    fan_in = draw(feature_sizes(min_size=min_features, max_size=max_features))
    if square:
        return fan_in, fan_in
    low = max(min_features, 1)
    if max_features <= low:  # only one size available: cannot avoid a square layer
        return fan_in, fan_in
    fan_out = draw(feature_sizes(min_size=low, max_size=max_features).filter(lambda n: n != fan_in))
    return fan_in, fan_out


@st.composite
def shapes(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
           min_features: int = 1, max_features: int = MAX_FEATURES) -> tuple[int, int]:
    """A (N, D) batch shape."""
    return (draw(batch_sizes(min_size=min_batch, max_size=max_batch)),
            draw(feature_sizes(min_size=min_features, max_size=max_features)))


# -- arrays -------------------------------------------------------------------------
def _uniform(rng: np.random.Generator, shape: tuple[int, ...], bound: float,
             away_from_zero: float) -> np.ndarray:
    if away_from_zero > 0:
        magnitude = rng.uniform(away_from_zero, bound, size=shape)
        return magnitude * rng.choice(np.array([-1.0, 1.0]), size=shape)
    return rng.uniform(-bound, bound, size=shape)


@st.composite
def arrays(draw: st.DrawFn, *, shape: tuple[int, ...], bound: float = 5.0,
           away_from_zero: float = 0.0) -> np.ndarray:
    """A dense float64 array of `shape` with values in [-bound, bound].

    `away_from_zero > 0` keeps every |value| >= that margin (ReLU's kink at 0,
    where any subgradient is correct, never appears).
    """
    seed = draw(SEEDS)
    return _uniform(generator(seed), tuple(shape), bound, away_from_zero)


@st.composite
def batches(draw: st.DrawFn, *, features: int | None = None, min_batch: int = 1,
            max_batch: int = MAX_BATCH, max_features: int = MAX_FEATURES, bound: float = 5.0,
            away_from_zero: float = 0.0) -> np.ndarray:
    """An (N, D) float64 batch; D is drawn unless `features` fixes it."""
    n = draw(batch_sizes(min_size=min_batch, max_size=max_batch))
    d = features if features is not None else draw(feature_sizes(max_size=max_features))
    return draw(arrays(shape=(n, d), bound=bound, away_from_zero=away_from_zero))


@st.composite
def parameters(draw: st.DrawFn, *, fan_in: int, fan_out: int,
               bound: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) set by the grader: random and non-zero everywhere (|value| >= 0.05), so
    a bias or weight bug can never hide behind a zero."""
    W = draw(arrays(shape=(fan_in, fan_out), bound=bound, away_from_zero=0.05))
    b = draw(arrays(shape=(fan_out,), bound=bound, away_from_zero=0.05))
    return W, b


@st.composite
def labels(draw: st.DrawFn, *, n: int, classes: int) -> np.ndarray:
    """(N,) int64 labels in [0, classes)."""
    seed = draw(SEEDS)
    return generator(seed).integers(0, classes, size=n).astype(np.int64)


@st.composite
def logits(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
           min_classes: int = 3, max_classes: int = MAX_FEATURES, bound: float = 10.0,
           extreme: bool = False) -> np.ndarray:
    """(N, C) float64 logits.

    `extreme=True`: magnitudes up to 1000 (`EXTREME`). Each row is a large offset
    plus a spread that is sometimes small (so clipping at +-500 makes classes tie)
    and sometimes huge (so exp() of the raw values overflows or underflows).
    """
    n = draw(batch_sizes(min_size=min_batch, max_size=max_batch))
    c = draw(feature_sizes(min_size=min_classes, max_size=max_classes))
    seed = draw(SEEDS)
    rng = generator(seed)
    if not extreme:
        return rng.uniform(-bound, bound, size=(n, c))
    spread = draw(st.sampled_from([5.0, 50.0, 2 * EXTREME]))
    offset = rng.uniform(600.0, EXTREME - min(spread, 400.0) / 2, size=(n, 1))
    offset *= rng.choice(np.array([-1.0, 1.0]), size=(n, 1))
    out = offset + rng.uniform(-spread / 2, spread / 2, size=(n, c))
    return np.clip(out, -EXTREME, EXTREME)


@dataclass(frozen=True)
class Classification:
    """A softmax cross-entropy input: logits (N, C) and labels (N,)."""

    logits: np.ndarray
    y: np.ndarray

    def __repr__(self) -> str:  # what the student sees as the smallest failing example
        return f"logits={np.array2string(self.logits, precision=4)}, y={self.y.tolist()}"


@st.composite
def classifications(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
                    min_classes: int = 3, max_classes: int = MAX_FEATURES,
                    extreme: bool = False) -> Classification:
    z = draw(logits(min_batch=min_batch, max_batch=max_batch, min_classes=min_classes,
                    max_classes=max_classes, extreme=extreme))
    rng = generator(int(abs(z.flat[0]) * 1e6) % 2**32)
    y = rng.integers(0, z.shape[1], size=z.shape[0]).astype(np.int64)
    return Classification(z, y)


@st.composite
def regressions(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
                max_features: int = MAX_FEATURES, bound: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """(pred, target), both (N, K)."""
    n = draw(st.integers(min_value=min_batch, max_value=max_batch))
    k = draw(st.integers(min_value=1, max_value=max_features))
    rng = generator(draw(SEEDS))
    return _uniform(rng, (n, k), bound, 0.0), _uniform(rng, (n, k), bound, 0.0)


@st.composite
def mlp_sizes(draw: st.DrawFn, *, min_hidden_layers: int = 2, max_hidden_layers: int = 3,
              max_width: int = 8) -> list[int]:
    """[in, hidden..., classes] with at least `min_hidden_layers` hidden layers; in some
    examples two hidden layers share a width, so a hidden Linear's W is square (where a
    missing transpose in a layer's backward is shape-compatible)."""
    depth = draw(st.integers(min_value=min_hidden_layers, max_value=max_hidden_layers))
    sizes = [draw(st.integers(min_value=1, max_value=max_width)) for _ in range(depth + 1)] + [
        draw(st.integers(min_value=2, max_value=max_width))]
    if depth >= 2 and max_width >= 2 and draw(st.booleans()):
        sizes[2] = sizes[1] = max(sizes[1], 2)
    return sizes


# -- whole check inputs ---------------------------------------------------------------
def _show(name: str, value: np.ndarray) -> str:
    return f"{name}={np.array2string(np.asarray(value), precision=4, threshold=200)}"


@dataclass(frozen=True)
class LinearCase:
    """A Linear layer's parameters (set by the grader), an input batch and an upstream gradient."""

    x: np.ndarray
    W: np.ndarray
    b: np.ndarray
    grad_out: np.ndarray

    def __repr__(self) -> str:
        return "LinearCase(" + ", ".join(_show(k, getattr(self, k))
                                         for k in ("x", "W", "b", "grad_out")) + ")"


@st.composite
def linear_cases(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
                 max_features: int = MAX_FEATURES, bound: float = 5.0,
                 min_features: int = 1) -> LinearCase:
    """x (N, in) in [-bound, bound]; W, b random with |entries| in [0.05, 1] (never zero);
    grad_out (N, out) with |entries| in [0.01, 1]. One seed fills every array.

    W is square (in = out >= 2) in some examples: a missing transpose (grad_out @ W, or
    an orientation picked by matching shapes) is shape-compatible only there, as inside an
    MLP with equal hidden widths. The shrinker prefers the non-square case, where a
    transposed W or dW shows up as a shape error, the clearer report. `min_features` > 1
    keeps every axis longer than 1, as a course whose tests never use a size-1 axis."""
    n = draw(st.integers(min_value=min_batch, max_value=max_batch))
    fan_in = draw(st.integers(min_value=min_features, max_value=max_features))
    fan_out = draw(st.integers(min_value=min_features, max_value=max_features - 1))
    if fan_out >= fan_in:
        fan_out += 1
    # Drawn last, after the same draws as the non-square case: a failure seen both ways
    # shrinks (shortlex) to the non-square one.
    if max_features >= 2 and draw(st.booleans()):
        fan_in = fan_out = max(fan_in, 2)
    rng = generator(draw(SEEDS))
    x = _uniform(rng, (n, fan_in), bound, 0.0)
    W = _uniform(rng, (fan_in, fan_out), 1.0, 0.05)
    b = _uniform(rng, (fan_out,), 1.0, 0.05)
    g = _uniform(rng, (n, fan_out), 1.0, 0.01)
    return LinearCase(x, W, b, g)


@dataclass(frozen=True)
class ActivationCase:
    """An activation's input batch and an upstream gradient of the same shape."""

    x: np.ndarray
    grad_out: np.ndarray

    def __repr__(self) -> str:
        return f"ActivationCase({_show('x', self.x)}, {_show('grad_out', self.grad_out)})"


@st.composite
def activation_cases(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = MAX_BATCH,
                     max_features: int = MAX_FEATURES, bound: float = 5.0,
                     away_from_zero: float = 0.1, min_features: int = 1) -> ActivationCase:
    """Inputs keep |x| >= `away_from_zero` (0.1 by default) so ReLU's kink never shows up;
    the upstream gradient has both signs everywhere (a mask on its sign is then visible)."""
    n = draw(st.integers(min_value=min_batch, max_value=max_batch))
    d = draw(st.integers(min_value=min_features, max_value=max_features))
    rng = generator(draw(SEEDS))
    x = _uniform(rng, (n, d), bound, away_from_zero)
    g = _uniform(rng, (n, d), 1.0, 0.01)
    return ActivationCase(x, g)


@dataclass(frozen=True)
class MLPCase:
    sizes: list
    x: np.ndarray
    grad_out: np.ndarray
    seed: int

    def __repr__(self) -> str:
        return (f"MLPCase(sizes={self.sizes}, {_show('x', self.x)}, "
                f"{_show('grad_out', self.grad_out)}, rng seed={self.seed})")


@st.composite
def mlp_cases(draw: st.DrawFn, *, min_batch: int = 1, max_batch: int = 8,
              min_hidden_layers: int = 2, max_hidden_layers: int = 3,
              max_width: int = 8) -> MLPCase:
    sizes = draw(mlp_sizes(min_hidden_layers=min_hidden_layers,
                           max_hidden_layers=max_hidden_layers, max_width=max_width))
    n = draw(st.integers(min_value=min_batch, max_value=max_batch))
    seed = draw(SEEDS)
    rng = generator(seed)
    x = _uniform(rng, (n, sizes[0]), 2.0, 0.0)
    g = _uniform(rng, (n, sizes[-1]), 1.0, 0.01)
    return MLPCase(sizes, x, g, seed)
