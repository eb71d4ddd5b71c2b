"""CS231n dropout_forward/backward: p is the KEEP probability (2018 on) or, under the rubric's
[conventions] dropout_p, the DROP probability (2017); inverted dropout (train divides the kept
units by the keep probability, test is the identity), the seed honoured."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import diagnose as D
from grader.checks.expect import expect_close
from grader.checks.framework import fail, tags, title


def train(cs231n, x: np.ndarray, p: float, seed: int) -> tuple[np.ndarray, object]:
    out, cache = cs231n.forward("dropout_forward", x, {"p": p, "mode": "train", "seed": seed})
    return D.require_array(out, x.shape, what="dropout_forward's out"), cache


@title("dropout_forward: train mode keeps units with p={p}")
@tags("dropout")
@pytest.mark.parametrize("p", [0.25, 0.7])
def test_dropout_train(cs231n, dropout_convention, p):
    """Each unit is kept with the probability p stands for (keep: p; drop, 2017: 1 - p) and
    scaled by 1/keep (inverted dropout)."""
    keep = dropout_convention.keep(p)
    x = np.random.default_rng(1).uniform(1, 2, (40, 50))
    out, _ = train(cs231n, x, p, 0)
    kept = out != 0
    share = kept.mean()
    if abs(share - (1 - keep)) < 0.05 and abs(keep - 0.5) > 0.1:
        fail("dropout-mode", dropout_convention.confusion(p, share),
             message=dropout_convention.fact)
    if not np.allclose(out[kept], x[kept] / keep, rtol=1e-9):
        ratio = np.median(out[kept] / x[kept])
        fail("dropout-mode", f"kept units are scaled by {ratio:.3g}; inverted dropout divides "
             f"them by the keep probability {keep:g} at training time",
             message=dropout_convention.fact)
    if abs(share - keep) > 0.05:
        fail("dropout-mode", f"dropout_forward keeps {share:.0%} of the units with p = {p}; the "
             f"keep probability is {keep:g}", message=dropout_convention.fact)


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
    # Train: out / x is the forward's own mask times 1/p, and the backward must apply exactly
    # that. Test: dx is dout whatever the forward did (a forward that wrongly drops units in
    # test mode is the forward's check's to charge, not a reason to pass a wrong backward).
    want = dout * (np.asarray(out) / x) if mode == "train" else dout
    expect_close(dx, want, what=f"dropout_backward's dx ({mode} mode)",
                 formula="dx = dout * mask (the forward's mask, already divided by p)" if mode == "train"
                 else "dx = dout in test mode")
