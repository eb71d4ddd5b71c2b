"""The named strategies produce what their names promise: float64, bounded, dense, non-square."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from grader.checks import strategies as S


@settings(max_examples=30, derandomize=True, database=None)
@given(x=S.batches(bound=3.0, away_from_zero=0.1))
def test_batches_are_bounded_float64_and_away_from_zero(x):
    assert x.dtype == np.float64 and x.ndim == 2
    assert 1 <= x.shape[0] <= S.MAX_BATCH and 1 <= x.shape[1] <= S.MAX_FEATURES
    assert np.all(np.abs(x) <= 3.0) and np.all(np.abs(x) >= 0.1)


@settings(max_examples=30, derandomize=True, database=None)
@given(shape=S.layer_shapes())
def test_layer_shapes_are_not_square(shape):
    assert shape[0] != shape[1]


@settings(max_examples=30, derandomize=True, database=None)
@given(case=S.classifications(extreme=True))
def test_extreme_logits_reach_hundreds(case):
    z = case.logits
    assert z.dtype == np.float64 and np.all(np.abs(z) <= S.EXTREME)
    assert np.max(np.abs(z)) >= 500  # past where exp overflows or clipping at 500 bites
    assert case.y.dtype == np.int64 and np.all((0 <= case.y) & (case.y < z.shape[1]))


@settings(max_examples=30, derandomize=True, database=None)
@given(case=S.linear_cases())
def test_linear_cases_have_nonzero_parameters(case):
    assert case.W.shape == (case.x.shape[1], case.grad_out.shape[1])
    assert np.all(np.abs(case.W) >= 0.05) and np.all(np.abs(case.b) >= 0.05)


@settings(max_examples=20, derandomize=True, database=None)
@given(case=S.mlp_cases())
def test_mlp_cases_have_two_hidden_layers(case):
    assert len(case.sizes) >= 4
    assert case.x.shape[1] == case.sizes[0] and case.grad_out.shape[1] == case.sizes[-1]


def test_linear_cases_and_mlp_sizes_are_sometimes_square():
    """Square W (a missing transpose is shape-compatible only there) is drawn, not only
    the non-square shapes that turn that bug into a shape error."""
    linear, mlp = [], []

    @settings(max_examples=60, derandomize=True, database=None)
    @given(case=S.linear_cases(), sizes=S.mlp_sizes())
    def collect(case, sizes):
        linear.append(case.W.shape[0] == case.W.shape[1])
        mlp.append(any(a == b for a, b in zip(sizes[1:-2], sizes[2:-1])))

    collect()
    assert any(linear) and not all(linear)
    assert any(mlp) and not all(mlp)
