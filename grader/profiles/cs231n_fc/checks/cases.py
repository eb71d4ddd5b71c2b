"""Hypothesis cases of the CS231n checks: small shapes, values from a drawn seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.checks import strategies as S


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
