"""The CS231n normalisation signatures name each bug from arrays made by the buggy formula,
and stay silent on the correct values."""

from __future__ import annotations

import numpy as np
import pytest

from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc import signatures as SIG

RNG = np.random.default_rng(5)
X = RNG.normal(0, 1, (5, 4)) * RNG.uniform(0.5, 3, 4) + RNG.uniform(-2, 2, 4)
GAMMA, BETA, DOUT = RNG.uniform(0.5, 2, 4), RNG.uniform(-1, 1, 4), RNG.normal(0, 1, (5, 4))
EPS = 0.5


def ids_and_hint(found) -> tuple[str, str]:
    assert found is not None
    return found.id, found.hint


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_forward_signature_silent_on_the_correct_out(kind):
    out = R.norm_forward(X, GAMMA, BETA, R.NORM_AXIS[kind], EPS)
    assert SIG.norm_forward_signature(kind, X, GAMMA, BETA, EPS, out) is None


@pytest.mark.parametrize("kind, diagnosis", [("batchnorm", "wrong-forward"), ("layernorm", "batch-dependence")])
def test_statistics_over_the_other_axis(kind, diagnosis):
    wrong = R.norm_forward(X, GAMMA, BETA, 1 - R.NORM_AXIS[kind], EPS)
    found, hint = ids_and_hint(SIG.norm_forward_signature(kind, X, GAMMA, BETA, EPS, wrong))
    assert found == diagnosis and f"axis={R.NORM_AXIS[kind]}" in hint


@pytest.mark.parametrize("wrong, words", [
    (lambda c, v: GAMMA * c / np.sqrt(X.var(axis=0, ddof=1) + EPS) + BETA, "ddof=1"),
    (lambda c, v: GAMMA * c / (np.sqrt(v) + EPS) + BETA, "outside the square root"),
])
def test_batchnorm_forward_formula_bugs(wrong, words):
    out = wrong(X - X.mean(axis=0), X.var(axis=0))
    found, hint = ids_and_hint(SIG.norm_forward_signature("batchnorm", X, GAMMA, BETA, EPS, out))
    assert found == "wrong-forward" and words in hint


def test_running_statistics():
    before, m = (RNG.normal(0, 1, 4), RNG.uniform(0.5, 2, 4)), 0.9
    right = R.running_stats(X, *before, m)
    assert SIG.running_stats_signature(X, m, before, right) is None
    for after, words in [(before, "as they were"), ((None, None), "as they were"),
                         (((1 - m) * before[0] + m * X.mean(0), right[1]), "weighs the batch"),
                         ((X.mean(0), X.var(0)), "replaces"),
                         ((right[0], m * before[1] + (1 - m) * X.var(0, ddof=1)), "ddof=1")]:
        found, hint = ids_and_hint(SIG.running_stats_signature(X, m, before, after))
        assert found == "running-statistics" and words in hint


def test_batch_statistics_in_test_mode():
    right = R.batchnorm_test(X, GAMMA, BETA, np.zeros(4), np.ones(4), EPS)
    assert SIG.batch_stats_in_test_signature(X, GAMMA, BETA, EPS, right) is None
    batch = R.norm_forward(X, GAMMA, BETA, 0, EPS)
    found, _ = ids_and_hint(SIG.batch_stats_in_test_signature(X, GAMMA, BETA, EPS, batch))
    assert found == "eval-mode"


@pytest.mark.parametrize("name", ["batchnorm_backward", "layernorm_backward"])
def test_parameter_gradients_over_the_wrong_axis(name):
    x_hat = R.normalize(X, R.NORM_AXIS[name.split("_")[0]], EPS)[0]
    assert SIG.param_gradient_signature(name, "dgamma", (DOUT * x_hat).sum(0), X, DOUT, EPS) is None
    for value in ((DOUT * x_hat).sum(1), DOUT * x_hat):
        found, hint = ids_and_hint(SIG.param_gradient_signature(name, "dgamma", value, X, DOUT, EPS))
        assert found == "bias-gradient-not-summed" and name in hint
    found, _ = ids_and_hint(SIG.param_gradient_signature(name, "dbeta", DOUT.sum(1), X, DOUT, EPS))
    assert found == "bias-gradient-not-summed"


@pytest.mark.parametrize("name", ["batchnorm_backward", "batchnorm_backward_alt", "layernorm_backward"])
def test_backward_with_constant_statistics(name):
    axis = R.NORM_AXIS[name.split("_")[0]]
    assert SIG.constant_statistics_signature(name, X, GAMMA, DOUT, EPS,
                                             R.norm_backward(X, GAMMA, DOUT, axis, EPS)[0]) is None
    x_hat, std = R.normalize(X, axis, EPS)
    g = DOUT * GAMMA
    for dx, words in [(g / std, "as constants"), ((g - g.mean(axis, keepdims=True)) / std, "variance"),
                      ((g - x_hat * (g * x_hat).mean(axis, keepdims=True)) / std, "mean")]:
        found, hint = ids_and_hint(SIG.constant_statistics_signature(name, X, GAMMA, DOUT, EPS, dx))
        assert found == "wrong-gradient" and words in hint and hint.startswith(name)
