"""CS231n dropout_forward/backward: p is the KEEP probability (2018 on), inverted dropout
(train divides the kept units by p, test is the identity), the seed honoured."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import diagnose as D
from grader.checks.framework import fail, tags, title
from grader.profiles.mytorch_hw1p1.checking import expect_close


def train(cs231n, x: np.ndarray, p: float, seed: int) -> tuple[np.ndarray, object]:
    out, cache = cs231n.forward("dropout_forward", x, {"p": p, "mode": "train", "seed": seed})
    return D.require_array(out, x.shape, what="dropout_forward's out"), cache


@title("dropout_forward: train mode keeps units with p={p}")
@tags("dropout")
@pytest.mark.parametrize("p", [0.25, 0.7])
def test_dropout_train(cs231n, p):
    """Each unit is kept with probability p and scaled by 1/p (inverted dropout)."""
    x = np.random.default_rng(1).uniform(1, 2, (40, 50))
    out, _ = train(cs231n, x, p, 0)
    kept = out != 0
    if not np.allclose(out[kept], x[kept] / p, rtol=1e-9):
        ratio = np.median(out[kept] / x[kept])
        fail("dropout-mode", f"kept units are scaled by {ratio:.3g}; inverted dropout divides "
             f"them by the keep probability p = {p} at training time")
    share = kept.mean()
    if abs(share - (1 - p)) < 0.05 and abs(p - 0.5) > 0.1:
        fail("dropout-mode", f"dropout_forward keeps {share:.0%} of the units with p = {p}: p is "
             "the probability of KEEPING a unit (2018 on), not of dropping it (the 2017 handout)")
    if abs(share - p) > 0.05:
        fail("dropout-mode", f"dropout_forward keeps {share:.0%} of the units with p = {p}")


@title("dropout_forward: test mode returns x unchanged")
@tags("dropout")
def test_dropout_test_mode(cs231n):
    """mode 'test' returns x unchanged (no mask, no scaling)."""
    x = np.random.default_rng(2).normal(0, 1, (6, 7))
    out, _ = cs231n.forward("dropout_forward", x, {"p": 0.6, "mode": "test"})
    out = D.require_array(out, x.shape, what="dropout_forward's out in test mode")
    if not D.matches(out, x, rtol=1e-12):
        fail("dropout-mode", "dropout_forward in test mode must return x unchanged: inverted "
             "dropout scales by 1/p at training time only", message=f"got {D.fmt(out)}\nexpected {D.fmt(x)}")


@title("dropout_forward: the same seed gives the same mask")
@tags("dropout")
def test_dropout_seed(cs231n):
    """The same seed gives the same mask; another seed another one."""
    x = np.random.default_rng(3).uniform(1, 2, (20, 30))
    first, second, other = train(cs231n, x, 0.5, 7)[0], train(cs231n, x, 0.5, 7)[0], train(cs231n, x, 0.5, 8)[0]
    if not np.array_equal(first, second):
        fail("nondeterministic", "dropout_forward ignores dropout_param['seed']: two calls with "
             "the same seed drop different units (call np.random.seed(seed) when it is given)")
    if np.array_equal(first, other):
        fail("nondeterministic", "dropout_forward gives the same mask for different seeds")


@title("dropout_backward: right in {mode} mode")
@tags("dropout")
@pytest.mark.parametrize("mode", ["train", "test"])
def test_dropout_backward(cs231n, mode):
    """Train: dx = dout * mask / p (the forward's own mask, from the cache); test: dx = dout."""
    rng = np.random.default_rng(4)
    x, dout = rng.uniform(1, 2, (8, 9)), rng.normal(0, 1, (8, 9))
    out, cache = cs231n.forward("dropout_forward", x, {"p": 0.6, "mode": mode, "seed": 3})
    dx = cs231n.call("dropout_backward", dout, cache)
    # out / x is the forward's own mask times 1/p: the backward must apply exactly that.
    expect_close(dx, dout * (np.asarray(out) / x), what=f"dropout_backward's dx ({mode} mode)",
                 formula="dx = dout * mask (the forward's mask, already divided by p)" if mode == "train"
                 else "dx = dout in test mode")
