"""Hypothesis cases of the CS231n checks: small shapes, values from a drawn seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.checks import strategies as S
from grader.profiles.cs231n_fc import reference as R


@dataclass(frozen=True)
class AffineCase:
    x: np.ndarray     # (N, d1, ..., dk): extra axes, flattened per sample
    w: np.ndarray     # (D, M), D = d1 * ... * dk
    b: np.ndarray     # (M,)
    dout: np.ndarray  # (N, M)


@st.composite
def affine_cases(draw: st.DrawFn, max_size: int = 4) -> AffineCase:
    n = draw(st.integers(1, max_size))
    dims = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    m = draw(st.integers(1, max_size))
    rng = S.generator(draw(S.SEEDS))
    d = int(np.prod(dims))
    return AffineCase(rng.uniform(-2, 2, (n, *dims)), rng.uniform(-1, 1, (d, m)),
                      rng.uniform(-1, 1, m), rng.uniform(-1, 1, (n, m)))


@st.composite
def arrays(draw: st.DrawFn, max_size: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """x (N, C) away from 0 (ReLU's kink), and dout shaped like it."""
    shape = (draw(st.integers(1, max_size)), draw(st.integers(1, max_size)))
    rng = S.generator(draw(S.SEEDS))
    x = rng.uniform(0.05, 3, shape) * rng.choice([-1.0, 1.0], shape)
    return x, rng.uniform(-1, 1, shape)


@st.composite
def scores(draw: st.DrawFn, max_size: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Scores (N, C), C >= 2, and integer labels (N,)."""
    n, c = draw(st.integers(1, max_size)), draw(st.integers(2, max_size))
    rng = S.generator(draw(S.SEEDS))
    return rng.uniform(-3, 3, (n, c)), rng.integers(0, c, n)


@dataclass(frozen=True)
class NormCase:
    x: np.ndarray       # (N, D), features on different scales and offsets
    gamma: np.ndarray   # (D,)
    beta: np.ndarray    # (D,)
    dout: np.ndarray    # (N, D)
    eps: float | None   # None: bn_param leaves eps to its default, 1e-5
    momentum: float | None  # None: left to the default, 0.9

    @property
    def param(self) -> dict[str, float]:
        """The optional bn_param / ln_param entries this case sets."""
        return {k: v for k, v in (("eps", self.eps), ("momentum", self.momentum)) if v is not None}


@st.composite
def norm_cases(draw: st.DrawFn, max_size: int = 5) -> NormCase:
    """N, D >= 3: with two samples (or features) x_hat is +-1 whatever x is, and every
    gradient is ~eps-small, below what central differences resolve."""
    n, d = draw(st.integers(3, max_size)), draw(st.integers(3, max_size))
    rng = S.generator(draw(S.SEEDS))
    x = rng.normal(0, 1, (n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    return NormCase(x, rng.uniform(0.5, 2, d), rng.uniform(-1, 1, d), rng.normal(0, 1, (n, d)),
                    draw(st.sampled_from([None, 1e-3, 0.5])), draw(st.sampled_from([None, 0.7])))


def random_params(rng: np.random.Generator, dims: list[int], normalized: bool = False) -> R.Params:
    """W_i (in, out), b_i (out,) for dims (input, hidden..., classes); normalised, also
    gamma_i, beta_i (hidden,) away from their initial ones and zeros."""
    params = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(0, 0.7, (a, b)), rng.normal(0, 0.3, b)
        if normalized and i < len(dims) - 1:
            params[f"gamma{i}"], params[f"beta{i}"] = rng.uniform(0.5, 2, b), rng.normal(0, 0.3, b)
    return params


@st.composite
def net_cases(draw: st.DrawFn, *, max_depth: int = 3, max_width: int = 4, normalized: bool = False):
    """(dims: input, hidden..., classes; params; X (N, D); y (N,); reg). `normalized` adds
    gamma_i, beta_i (hidden,) and keeps N and the hidden widths >= 3: with two samples or
    features every normalised value is +-1 and the gradients vanish to ~eps."""
    low = 3 if normalized else 2
    hidden = draw(st.lists(st.integers(low, max(low, max_width)), min_size=1, max_size=max_depth - 1))
    dims = [draw(st.integers(2, max_width)), *hidden, draw(st.integers(2, 4))]
    rng = S.generator(draw(S.SEEDS))
    params = random_params(rng, dims, normalized)
    n = draw(st.integers(low if normalized else 1, 4))
    X, y = rng.normal(0, 1, (n, dims[0])), rng.integers(0, dims[-1], n)
    reg = draw(st.sampled_from([0.0, 0.7]))
    return dims, params, X, y, reg
