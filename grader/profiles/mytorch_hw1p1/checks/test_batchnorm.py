"""MyTorch BatchNorm1d(num_features, alpha=0.9): training mode (batch statistics, running
statistics updated), eval mode (running statistics, nothing updated), backward (dLdZ, and
dLdBW, dLdBb summed over the batch). eps = 1e-8; variance is the biased one.

The course's autograder checks three values: eval-mode BZ with the initial running statistics
(0 and 1), training-mode BZ, and dLdZ. It never reads dLdBW or dLdBb (so (C,) is as right as
the handout's (1, C)), nor the running statistics after an update: bugs there are charged
here and the report says the course's tests miss them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, beyond_course, course_misses, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS
from grader.profiles.mytorch_hw1p1.checking import expect_course_close, expect_unchanged

ALPHA = 0.9


@st.composite
def bn_cases(draw: st.DrawFn, *, max_batch: int = 16, max_features: int = 8):
    """Z (N, C) with N >= 2 and per-feature spread; BW, Bb; dLdBZ (N, C)."""
    n = draw(st.integers(2, max_batch))
    c = draw(st.integers(1, max_features))
    rng = S.generator(draw(S.SEEDS))
    Z = rng.uniform(-3, 3, (n, c)) * rng.uniform(0.5, 2.0, c) + rng.uniform(-2, 2, c)
    BW, Bb = rng.uniform(0.5, 2.0, c), rng.uniform(-1, 1, c)
    return Z, BW, Bb, rng.uniform(-1, 1, (n, c))


def batchnorm_with(mytorch, BW: np.ndarray, Bb: np.ndarray):
    face = mytorch.batchnorm(BW.size)
    face.set("BW", BW)
    face.set("Bb", Bb)
    return face


@title("BatchNorm1d: initial BW, Bb, running_M, running_V")
@tags("batchnorm")
def test_initial_state(mytorch):
    """BW ones (1, C), Bb zeros (1, C), running_M zeros (1, C), running_V ones (1, C)."""
    face = mytorch.batchnorm(4)
    for name, value in (("BW", 1.0), ("Bb", 0.0), ("running_M", 0.0), ("running_V", 1.0)):
        got = face.get(name)
        if not np.all(got == value):
            fail("wrong-forward", f"BatchNorm1d(4).{name} starts as {D.fmt(got)}; the handout starts "
                 f"it at {value:g} everywhere, shape (1, 4)")


@title("BatchNorm1d: training forward uses batch statistics")
@tags("batchnorm")
@S.share(0.4)
@given(case=bn_cases())
def test_forward_training(mytorch, case):
    """BZ = BW * (Z - M) / sqrt(V + eps) + Bb with the batch's mean and biased variance."""
    Z, BW, Bb, _ = case
    face = batchnorm_with(mytorch, BW, Bb)
    out = face.forward(Z)
    expected, _, _ = R.batchnorm_train(Z, BW, Bb, np.zeros_like(BW), np.ones_like(BW), ALPHA)
    expect_course_close(out, expected, what="BatchNorm1d.forward's BZ", diagnosis_id="wrong-forward",
                        formula="BZ = BW * (Z - M) / sqrt(V + eps) + Bb", rtol=1e-7,
                        signatures=(lambda: MS.batchnorm_forward_signature(Z, BW, Bb, out),))


@title("BatchNorm1d: running_M and running_V are updated")
@tags("batchnorm")
@course_misses("the course's autograder never reads running_M or running_V after a training "
               "forward (its eval test uses their initial values, 0 and 1)")
@S.share(0.3)
@given(case=bn_cases())
def test_running_statistics(mytorch, case):
    """Two training batches: running_M = alpha running_M + (1 - alpha) M after each (same for V)."""
    Z, BW, Bb, _ = case
    face = batchnorm_with(mytorch, BW, Bb)
    rM, rV = np.zeros_like(BW), np.ones_like(BW)
    for batch in (Z, Z[::-1] * 1.5 + 0.5):
        face.forward(batch)
        _, wantM, wantV = R.batchnorm_train(batch, BW, Bb, rM, rV, ALPHA)
        gotM, gotV = running(face, "running_M", batch), running(face, "running_V", batch)
        if not (G.close(gotM, wantM, rtol=1e-7) and G.close(gotV, wantV, rtol=1e-7)):
            found = MS.running_statistics_signature(batch, ALPHA, (rM, rV), (gotM, gotV))
            raise D.mismatch("running-statistics", "BatchNorm1d's running statistics differ from "
                             "running_M = alpha * running_M + (1 - alpha) * M (same for V)",
                             actual=np.concatenate([gotM, gotV]),
                             expected=np.concatenate([wantM, wantV]), found=found)
        rM, rV = wantM, wantV


def running(face, name: str, batch: np.ndarray) -> np.ndarray:
    """A running statistic as (C,); one with a row per sample averages a per-sample array."""
    raw = face.remote.get(name)
    if raw is not None and D._numeric(raw) and np.asarray(raw).shape == batch.shape and batch.shape[0] > 1:
        fail("running-statistics", f"BatchNorm1d.{name} has shape {batch.shape}, a row per sample: "
             "it averages a per-sample array (Z or NZ) instead of the batch's statistic, "
             f"{name} = alpha * {name} + (1 - alpha) * {'M' if name == 'running_M' else 'V'}, (1, C)")
    return face.get(name)


@title("BatchNorm1d: eval forward uses running statistics")
@tags("batchnorm")
@course_misses("the course's eval test uses running_M = 0 and running_V = 1, where many wrong "
               "formulas (an operator-precedence slip, eps outside the root) give the same BZ")
@S.share(0.3)
@given(case=bn_cases())
def test_eval_mode(mytorch, case):
    """forward(Z, eval=True) normalises with running_M, running_V and updates nothing."""
    Z, BW, Bb, _ = case
    face = batchnorm_with(mytorch, BW, Bb)
    rng = np.random.default_rng(Z.shape[0])
    rM, rV = rng.uniform(-1, 1, BW.size), rng.uniform(0.5, 2.0, BW.size)
    face.set("running_M", rM)
    face.set("running_V", rV)
    out = face.forward(Z, eval=True)
    expect_course_close(out, R.batchnorm_eval(Z, BW, Bb, rM, rV),
                        what="BatchNorm1d.forward(Z, eval=True)", diagnosis_id="eval-mode",
                        formula="BZ = BW * (Z - running_M) / sqrt(running_V + eps) + Bb", rtol=1e-7,
                        signatures=(lambda: MS.eval_mode_signature(Z, BW, Bb, out),))
    if not (G.close(face.get("running_M"), rM) and G.close(face.get("running_V"), rV)):
        fail("running-statistics", "BatchNorm1d.forward(Z, eval=True) changes running_M or "
             "running_V: in eval mode nothing is updated")


@title("BatchNorm1d: backward gives dLdZ, dLdBW and dLdBb")
@tags("batchnorm")
@course_misses("the course's autograder never reads dLdBW or dLdBb, only dLdZ")
@S.share(0.4)
@given(case=bn_cases())
def test_backward(mytorch, case):
    """dLdZ through the batch statistics; dLdBW = sum(dLdBZ * NZ), dLdBb = sum(dLdBZ), (1, C)."""
    Z, BW, Bb, g = case
    face = batchnorm_with(mytorch, BW, Bb)
    face.forward(Z)
    dLdZ = face.backward(g)
    want = R.batchnorm_backward(Z, BW, g)
    NZ = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + 1e-8)
    grads = {name: face.gradient(name, extra) for name, extra in
             (("dLdBW", dLdBZ_kept(g * NZ, "dLdBW")), ("dLdBb", dLdBZ_kept(g, "dLdBb")))}
    for name, formula, expected, other in (
            ("dLdBW", "dLdBW = sum(dLdBZ * NZ, axis=0)", want[1], want[2]),
            ("dLdBb", "dLdBb = sum(dLdBZ, axis=0)", want[2], want[1])):
        arr = grads[name]
        expect_course_close(arr, expected, what=f"BatchNorm1d.{name}", formula=formula, n=Z.shape[0],
                     signatures=(lambda arr=arr, other=other: swapped(arr, other),))
    expect_course_close(dLdZ, want[0], what="BatchNorm1d.backward's dLdZ", n=Z.shape[0],
                 rtol=DLDZ_RTOL, atol=dLdZ_scale(Z, BW, g), formula="the chain rule through NZ, the batch mean M and the variance V",
                 signatures=(lambda: D.diagnosis(
                     "wrong-gradient", "BatchNorm1d.backward returns dLdBZ * BW / sqrt(V + eps) "
                     "only: Z also moves the batch mean and variance; add the dLdM and dLdV terms")
                     if D.matches(dLdZ, g * BW / np.sqrt(Z.var(axis=0) + 1e-8)) else None,))


#: dLdZ's error allowed against the size of its terms: the course's 4 decimals. An eps on the
#: wrong side of a root moves a batch of two by ~eps / V of the terms (2e-5 at V = 3e-4,
#: emilyjiayaoli/MyTorch, official 20/20); a missing or wrong term moves it by O(1).
DLDZ_RTOL = 1e-4


def dLdZ_scale(Z: np.ndarray, BW: np.ndarray, g: np.ndarray) -> float:
    """The size of dLdZ's terms (dLdBZ * BW / std): errors are measured against it, since the
    terms cancel to ~0 (a batch of 2 normalises to +-1 whatever Z is) and leave eps round-off
    of 1e-8 that a relative comparison would call a bug (emilyjiayaoli/MyTorch, official 20/20)."""
    return max(G.max_abs(g * BW / np.sqrt(Z.var(axis=0) + 1e-8)), 1e-4)


def swapped(actual: np.ndarray, other: np.ndarray):
    """dLdBW holding dLdBb's value and the other way round (a swapped assignment)."""
    if D.matches(actual, other) and not D.matches(other, np.zeros_like(other)):
        return D.diagnosis("wrong-gradient", "BatchNorm1d.dLdBW and dLdBb are swapped: dLdBW = "
                           "sum(dLdBZ * NZ, axis=0) (BW scales NZ), dLdBb = sum(dLdBZ, axis=0)")
    return None


def dLdBZ_kept(per_row: np.ndarray, name: str):
    """A parameter gradient that keeps the batch axis: (N, C) instead of the summed (1, C)."""
    def signature(raw: object):
        if D.matches(raw, per_row):
            return D.diagnosis("bias-gradient-not-summed", f"BatchNorm1d.{name} keeps the batch "
                               "axis: sum over the rows, np.sum(..., axis=0, keepdims=True), (1, C)")
        if np.asarray(raw).size == 1 and D.matches(np.asarray(raw).reshape(-1)[0], per_row.sum()):
            return D.diagnosis("bias-gradient-not-summed", f"BatchNorm1d.{name} sums over the "
                               "features too (np.sum without axis): sum over the batch only, "
                               "np.sum(..., axis=0, keepdims=True), one value per feature (1, C)")
        return None
    return signature


@title("BatchNorm1d: backward matches numerical gradients")
@tags("batchnorm")
@S.share(0.2)
@given(case=bn_cases(max_batch=5, max_features=3))
def test_gradient_numerical(mytorch, case):
    """dLdZ agrees with central differences of the student's own training-mode forward."""
    Z, BW, Bb, g = case
    face = batchnorm_with(mytorch, BW, Bb)
    face.forward(Z)
    got = face.backward(g)
    numeric = G.numeric_vjp_each(face.forward_each, Z, g, analytic=got)
    try:
        expect_course_close(got, numeric, what="BatchNorm1d.backward's dLdZ", rtol=DLDZ_RTOL,
                     n=Z.shape[0], atol=dLdZ_scale(Z, BW, g),
                     formula="the chain rule through NZ, M and V",
                     expected_from="central differences of your forward")
    except CheckFailure as exc:
        found = D.forward_is_the_problem(got, R.batchnorm_backward(Z, BW, g)[0], what="BatchNorm1d")
        if found is not None:
            raise CheckFailure(found) from exc
        raise


@title("BatchNorm1d: forward and backward keep inputs")
@beyond_course("the course's autograder never checks that inputs are left unchanged")
@tags("batchnorm", "robustness")
@S.share(0.2)
@given(case=bn_cases())
def test_inputs_unchanged(mytorch, case):
    """forward leaves Z and backward leaves dLdBZ unchanged; two backward calls agree."""
    Z, BW, Bb, g = case
    face = batchnorm_with(mytorch, BW, Bb)
    D.call_watched(face.remote, "forward", Z, what="BatchNorm1d.forward")
    first = D.call_watched(face.remote, "backward", g, what="BatchNorm1d.backward")
    expect_unchanged(first, face.backward(g), what="dLdZ", call="BatchNorm1d.backward")
