"""CS231n layers.py: batchnorm_forward/backward(_alt) and layernorm_forward/backward.

bn_param is a dict the student edits in place (running_mean, running_var): the grader makes
it in the worker (`Sandbox.mapping`), so the edits land in the very dict it passed, and
reads it back as plain data. Caches stay in the worker, as for every CS231n layer. A year
whose layers.py lacks these functions passes them (the rule of svm_loss: a skip would cost
points for work that year never set).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.expect import expect_close
from grader.checks.framework import diagnosis, fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc import signatures as SIG
from grader.profiles.cs231n_fc.adapters import LAYERS
from grader.profiles.cs231n_fc.checks.cases import NormCase, norm_cases
from grader.results import Diagnosis

FORMULA = {"batchnorm": "gamma * (x - mean) / np.sqrt(var + eps) + beta, mean and biased var "
                        "over axis=0 (the batch)",
           "layernorm": "gamma * (x - mean) / np.sqrt(var + eps) + beta, mean and biased var "
                        "over axis=1 (each sample's features)"}
RUNNING_RULE = "running = momentum * running + (1 - momentum) * batch statistic (momentum 0.9)"
KINDS = [pytest.param(kind, marks=tags(kind)) for kind in ("batchnorm", "layernorm")]
BACKWARDS = [pytest.param(kind, name, marks=tags(kind)) for kind, name in (
    ("batchnorm", "batchnorm_backward"), ("batchnorm", "batchnorm_backward_alt"),
    ("layernorm", "layernorm_backward"))]


def absent(cs231n, name: str) -> bool:
    return not cs231n.has(LAYERS, name)


def eps_of(case: NormCase) -> float:
    return R.BN_EPS if case.eps is None else case.eps


def train_forward(cs231n, kind: str, case: NormCase, **stats: np.ndarray
                  ) -> tuple[np.ndarray, Any, Any]:
    """`{kind}_forward` in train mode -> (out (N, D), cache handle, the param dict's handle)."""
    param = cs231n.sandbox.mapping(mode="train", **case.param, **stats)
    out, cache = cs231n.forward(f"{kind}_forward", case.x, case.gamma, case.beta, param)
    return D.require_array(out, case.x.shape, what=f"{kind}_forward's out"), cache, param


@title("{kind}: train-mode forward matches the formula")
@pytest.mark.parametrize("kind", KINDS)
@S.share(0.3)
@given(case=norm_cases())
def test_norm_forward(cs231n, kind, case):
    """Train mode: gamma * x_hat + beta with the biased statistics over the right axis, eps from
    the param dict (default 1e-5); layernorm gives the same out whatever the mode."""
    if absent(cs231n, f"{kind}_forward"):
        return
    out, _, _ = train_forward(cs231n, kind, case)
    eps = eps_of(case)
    want = R.norm_forward(case.x, case.gamma, case.beta, R.NORM_AXIS[kind], eps)
    expect_close(out, want, what=f"{kind}_forward's out (train mode)", formula=FORMULA[kind],
                 diagnosis_id="wrong-forward", signatures=(
                     lambda: SIG.norm_forward_signature(kind, case.x, case.gamma, case.beta, eps, out),))
    if kind == "layernorm":
        test_out = cs231n.out("layernorm_forward", case.x, case.gamma, case.beta,
                              {"mode": "test", **case.param})
        expect_close(test_out, want, what="layernorm_forward's out with mode 'test'",
                     formula="layernorm has no running statistics: train and test are the same",
                     diagnosis_id="eval-mode")


@title("batchnorm: running mean and variance updated in bn_param")
@tags("batchnorm")
@S.share(0.3)
@given(case=norm_cases(), fresh=st.booleans())
def test_batchnorm_running_stats(cs231n, case, fresh):
    """After one train batch the dict the caller passed holds running_mean, running_var (D,),
    started from zeros when absent, averaged with momentum (default 0.9) and the biased var."""
    if absent(cs231n, "batchnorm_forward"):
        return
    d = case.x.shape[1]
    rng = np.random.default_rng(d)
    before = (np.zeros(d), np.zeros(d)) if fresh else (rng.normal(0, 1, d), rng.uniform(0.5, 2, d))
    stats = {} if fresh else {"running_mean": before[0], "running_var": before[1]}
    _, _, param = train_forward(cs231n, "batchnorm", case, **stats)
    after = param.call("copy")
    got = (after.get("running_mean"), after.get("running_var"))
    momentum = R.BN_MOMENTUM if case.momentum is None else case.momentum
    want = R.running_stats(case.x, *before, momentum)
    # A running_var averaged from var + eps (the forward's own denominator) is off by
    # (1 - momentum) * eps, far below anything test mode can show (the notebooks accept it).
    eps = R.BN_EPS if case.eps is None else case.eps
    with_eps = (want[0], want[1] + (1 - momentum) * eps)
    if all(D.matches(g, w, rtol=G.REFERENCE_RTOL) for g, w in zip(got, with_eps)):
        return
    if not all(D.matches(g, w, rtol=G.REFERENCE_RTOL) for g, w in zip(got, want)):
        D.raise_first([SIG.running_stats_signature(case.x, momentum, before, got)],
                      message=f"bn_param after the call: {sorted(after)}")
    for value, expected, key in zip(got, want, ("running_mean", "running_var")):
        expect_close(value, expected, what=f"bn_param['{key}'] after one train batch",
                     formula=RUNNING_RULE, diagnosis_id="running-statistics")


@title("batchnorm: test mode normalises with the running statistics")
@tags("batchnorm")
@S.share(0.3)
@given(case=norm_cases())
def test_batchnorm_test_mode(cs231n, case):
    """mode 'test': gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, and
    bn_param's running statistics left as they were."""
    if absent(cs231n, "batchnorm_forward"):
        return
    d = case.x.shape[1]
    rng = np.random.default_rng(d + 1)
    rm, rv = rng.normal(0, 1, d), rng.uniform(0.5, 2, d)
    eps = eps_of(case)
    param = cs231n.sandbox.mapping(mode="test", running_mean=rm, running_var=rv, **case.param)
    out, _ = cs231n.forward("batchnorm_forward", case.x, case.gamma, case.beta, param)
    after = param.call("copy")
    if not all(D.matches(after.get(key), before, rtol=1e-12)
               for key, before in (("running_mean", rm), ("running_var", rv))):
        fail("running-statistics", "batchnorm_forward in test mode changes bn_param's running_mean "
             "or running_var: only train mode updates them")
    # eps added outside the root, sqrt(running_var) + eps, moves out by ~eps / std: the
    # notebooks accept it and no test-time prediction changes, so neither does the grade.
    eps_outside = case.gamma * (case.x - rm) / (np.sqrt(rv) + eps) + case.beta
    if D.matches(np.asarray(out, dtype=np.float64), eps_outside, rtol=1e-9):
        return
    expect_close(out, R.batchnorm_test(case.x, case.gamma, case.beta, rm, rv, eps),
                 what="batchnorm_forward's out in test mode", diagnosis_id="wrong-forward",
                 formula="gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
                 signatures=(lambda: SIG.batch_stats_in_test_signature(
                     case.x, case.gamma, case.beta, eps, out),))


def check_param_gradient(name: str, which: str, value: object, expected: np.ndarray,
                         case: NormCase, forward_first: Callable[[], Diagnosis | None]) -> None:
    """dgamma or dbeta (D,): summed over the batch."""
    found = lambda: SIG.param_gradient_signature(name, which, value, case.x, case.dout,  # noqa: E731
                                                 eps_of(case))
    arr = D.require_array(value, expected.shape, what=f"{name}'s {which}", extra=found)
    expect_close(arr, expected, what=f"{name}'s {which}", n=case.x.shape[0],
                 formula="np.sum(dout * x_hat, axis=0)" if which == "dgamma" else "np.sum(dout, axis=0)",
                 signatures=(forward_first, found))


def as_vectors(grads: list) -> list:
    """(dx, dgamma, dbeta) with a (1, D) dgamma or dbeta read as (D,): the notebooks'
    rel_error broadcasts it, so the course accepts it (a gamma kept 2-D gives one)."""
    return [g.reshape(-1) if i and isinstance(g, np.ndarray) and g.ndim == 2 and g.shape[0] == 1
            else g for i, g in enumerate(grads)]


@title("{name}: dx, dgamma, dbeta match the reference")
@pytest.mark.parametrize("kind, name", BACKWARDS)
@S.share(0.3)
@given(case=norm_cases())
def test_norm_backward(cs231n, kind, name, case):
    """Train-mode backward with the forward's own cache: dx through the mean and variance,
    dgamma = sum(dout * x_hat, axis=0), dbeta = sum(dout, axis=0)."""
    if absent(cs231n, f"{kind}_forward") or absent(cs231n, name):
        return
    out, cache, _ = train_forward(cs231n, kind, case)
    dx, dgamma, dbeta = as_vectors(cs231n.triple(name, case.dout, cache))
    eps = eps_of(case)
    want = R.norm_backward(case.x, case.gamma, case.dout, R.NORM_AXIS[kind], eps)

    def forward_first() -> Diagnosis | None:
        # The backward works from the forward's cache: a wrong forward is the bug to fix first.
        if D.matches(out, R.norm_forward(case.x, case.gamma, case.beta, R.NORM_AXIS[kind], eps)):
            return None
        return diagnosis("wrong-forward", f"{kind}_forward's out is wrong, and {name} "
                         "differentiates what the forward cached: fix the forward first (see its check)")
    expect_close(dx, want[0], what=f"{name}'s dx", n=case.x.shape[0],
                 formula="(dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / std, "
                         "dx_hat = dout * gamma, means over the normalised axis",
                 signatures=(forward_first, lambda: SIG.constant_statistics_signature(
                     name, case.x, case.gamma, case.dout, eps, dx)))
    check_param_gradient(name, "dgamma", dgamma, want[1], case, forward_first)
    check_param_gradient(name, "dbeta", dbeta, want[2], case, forward_first)


@title("{name}: matches numerical gradients")
@pytest.mark.parametrize("kind, name", BACKWARDS)
@S.share(0.1, at_least=3)
@given(case=norm_cases(max_size=4))
def test_norm_numerical(cs231n, kind, name, case):
    """The backward equals central differences of the student's own train-mode forward."""
    if absent(cs231n, f"{kind}_forward") or absent(cs231n, name):
        return
    x, gamma, beta, v = case.x, case.gamma, case.beta, case.dout

    def forward(inputs) -> list[np.ndarray]:
        # A fresh plain dict each call: the running statistics must not leak between calls.
        return cs231n.out_each(f"{kind}_forward", [(x_, gamma_, beta_, {"mode": "train", **case.param})
                                                   for x_, gamma_, beta_ in inputs])

    _, cache, _ = train_forward(cs231n, kind, case)
    got = as_vectors(cs231n.triple(name, v, cache))
    numeric = (G.numeric_vjp_each(lambda xs: forward([(x_, gamma, beta) for x_ in xs]), x, v, analytic=got[0]),
               G.numeric_vjp_each(lambda gs: forward([(x, g_, beta) for g_ in gs]), gamma, v, analytic=got[1]),
               G.numeric_vjp_each(lambda bs: forward([(x, gamma, b_) for b_ in bs]), beta, v, analytic=got[2]))
    for value, want, what in zip(got, numeric, ("dx", "dgamma", "dbeta")):
        expect_close(value, want, what=f"{name}'s {what}", formula="the chain rule",
                     rtol=G.NUMERIC_RTOL, expected_from=f"central differences of your {kind}_forward")
