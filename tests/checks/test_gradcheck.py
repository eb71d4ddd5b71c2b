"""The numerical gradient machinery: J^T v by central differences matches analytic gradients of
the reference to ~1e-9, and the relative error is scale-aware and strict about shapes/NaN."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import gradcheck as G
from grader.sandbox.errors import StudentException, StudentTimeout
from reference import layers as ref_layers
from reference import losses as ref_losses

RNG = np.random.default_rng(1)


def test_numeric_vjp_of_linear_matches_backward():
    layer = ref_layers.Linear(4, 3, rng=np.random.default_rng(0))
    x = RNG.uniform(-5, 5, (5, 4))
    v = RNG.standard_normal((5, 3))
    numeric = G.numeric_vjp(lambda x_: ref_layers.Linear.forward(layer, x_), x, v)
    layer.forward(x)
    assert G.relative_error(layer.backward(v), numeric) < 1e-8


def test_numeric_vjp_of_tanh_and_sigmoid():
    x = RNG.uniform(-4, 4, (3, 5))
    v = RNG.standard_normal((3, 5))
    for cls in (ref_layers.Tanh, ref_layers.Sigmoid):
        numeric = G.numeric_vjp(lambda x_: cls().forward(x_), x, v)
        layer = cls()
        layer.forward(x)
        assert G.relative_error(layer.backward(v), numeric) < 1e-8


def test_numeric_gradient_of_a_scalar_loss():
    z = RNG.uniform(-10, 10, (4, 5))
    y = np.array([0, 4, 2, 1])
    numeric = G.numeric_vjp(lambda z_: ref_losses.SoftmaxCrossEntropy().forward(z_, y), z, 1.0)
    loss = ref_losses.SoftmaxCrossEntropy()
    loss.forward(z, y)
    assert G.relative_error(loss.backward(), numeric) < 1e-7


def test_numeric_directional_matches_inner_product():
    x = RNG.uniform(-2, 2, (3, 4))
    v = RNG.standard_normal((3, 4))
    u = RNG.standard_normal((3, 4))
    layer = ref_layers.Tanh()
    layer.forward(x)
    analytic = float(np.sum(layer.backward(v) * u))
    numeric = G.numeric_directional(lambda x_: np.tanh(x_), x, v, u)
    assert abs(analytic - numeric) < 1e-7 * max(1.0, abs(analytic))


def test_relative_error_properties():
    a = RNG.standard_normal((3, 3))
    assert G.relative_error(a, a) == 0.0
    assert G.relative_error(a, a.T.copy()) > 0 or np.allclose(a, a.T)
    assert G.relative_error(a, np.zeros((3, 2))) == float("inf")
    bad = a.copy()
    bad[0, 0] = np.nan
    assert G.relative_error(bad, a) == float("inf")
    assert G.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert G.close(a * (1 + 1e-12), a)
    assert not G.close(a * 1.001, a)


def test_numeric_vjp_each_asks_for_every_perturbed_input_at_once_in_numeric_vjps_order():
    x = RNG.uniform(-2, 2, (2, 3))
    v = RNG.standard_normal((2, 3))
    one_by_one: list[np.ndarray] = []
    asked: list[list[np.ndarray]] = []

    def f(x_):
        one_by_one.append(x_)
        return np.sin(x_) * x_[0, 0]  # coupled: every coordinate matters

    def f_each(inputs):
        asked.append(inputs)
        return [np.sin(x_) * x_[0, 0] for x_ in inputs]

    assert np.array_equal(G.numeric_vjp(f, x, v), G.numeric_vjp_each(f_each, x, v))
    assert len(asked) == 1 and len(asked[0]) == 2 * x.size
    assert all(np.array_equal(a, b) for a, b in zip(asked[0], one_by_one))
    assert asked[0][0][0, 0] == x[0, 0] + G.EPS and asked[0][1][0, 0] == x[0, 0] - G.EPS


# -- round-off: a correct gradient that is tiny next to the forward's terms --------------------
def logsumexp_cross_entropy(y: np.ndarray):
    """A correct cross-entropy as students write it: p = exp(z - logsumexp(z)), then -log p.
    Its loss is ~1e-6 for a confident row, but it is computed from terms of the logits' size."""
    def forward(z: np.ndarray) -> float:
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        p = np.exp(z - lse)
        return float(np.mean(-np.log(p[np.arange(len(y)), y])))
    return forward


def test_a_confident_logsumexp_cross_entropy_is_not_failed_on_round_off():
    # Seen: every gradient entry is ~1e-6, while the loss is computed as logsumexp (~5.67)
    # minus z[y]: the finite differences carry ~2e-10 of round-off, 1e-4 of the gradient.
    z, y = np.array([[-9.3, -8.3, 5.67]]), np.array([2])
    numeric = G.numeric_vjp(logsumexp_cross_entropy(y), z, 1.0)
    loss = ref_losses.SoftmaxCrossEntropy()
    loss.forward(z, y)
    assert G.relative_error(loss.backward(), numeric) <= G.NUMERIC_RTOL


def test_a_saturated_sigmoid_or_tanh_at_one_sample_is_not_failed_on_round_off():
    # Outputs ~1, derivatives ~1e-6 (sigmoid) and ~1e-8 (tanh): ulp(1) / EPS ~ 1e-10 of
    # round-off is more than 1e-6 of the gradient.
    v = np.array([[0.7, -0.3, 0.9]])
    for cls, x in ((ref_layers.Sigmoid, np.array([[12.0, 13.5, 15.0]])),
                   (ref_layers.Tanh, np.array([[9.0, 10.0, 11.0]]))):
        numeric = G.numeric_vjp(lambda x_: cls().forward(x_), x, v)
        layer = cls()
        layer.forward(x)
        assert G.relative_error(layer.backward(v), numeric) <= G.NUMERIC_RTOL, cls.__name__


def test_the_round_off_floor_still_catches_a_wrong_gradient_of_that_size():
    # The floor is ~1e-8 here (the logits' size x 16 ulps / h): 10% of a 1e-6 gradient, a
    # missing one-hot or a zero gradient are all far beyond it.
    z, y = np.array([[-9.3, -8.3, 5.67]]), np.array([2])
    numeric = G.numeric_vjp(logsumexp_cross_entropy(y), z, 1.0)
    loss = ref_losses.SoftmaxCrossEntropy()
    loss.forward(z, y)
    right = loss.backward()
    assert 2e-10 < numeric.roundoff < 1e-7  # above the error it measured, far below the gradient
    for wrong in (1.1 * right, right + np.eye(3)[y], np.zeros_like(right)):
        assert G.relative_error(wrong, numeric) > G.NUMERIC_RTOL


def test_the_round_off_floor_is_far_below_a_well_scaled_gradient():
    layer = ref_layers.Linear(4, 3, rng=np.random.default_rng(0))
    x = RNG.uniform(-5, 5, (5, 4))
    v = RNG.standard_normal((5, 3))
    numeric = G.numeric_vjp(lambda x_: ref_layers.Linear.forward(layer, x_), x, v)
    assert G.roundoff_scale(numeric) < 0.05 * G.max_abs(numeric)
    layer.forward(x)
    analytic = layer.backward(v)
    # The scale is the gradient's own: the floor changes nothing.
    assert G.relative_error(analytic, numeric) == G.relative_error(analytic, np.asarray(numeric))


def test_only_the_measured_array_carries_the_floor():
    z, y = np.array([[-9.3, -8.3, 5.67]]), np.array([2])
    numeric = G.numeric_vjp(logsumexp_cross_entropy(y), z, 1.0)
    assert numeric.roundoff > 0
    for derived in (numeric * 1.0, numeric + 0.0, numeric[0], numeric.copy(), np.asarray(numeric)):
        assert G.roundoff_scale(derived) == 0.0
    assert type(numeric * 2.0) is np.ndarray


def test_a_forward_that_is_not_finite_gives_no_floor():
    x = np.array([[1.0, 2.0]])
    with np.errstate(invalid="ignore"):
        assert G.numeric_vjp(lambda x_: x_ * np.inf, x, np.ones((1, 2))).roundoff == 0.0
    assert G.difference_roundoff(np.array([np.nan]), np.array([1.0]), 1.0, terms=1.0) == 0.0
    # Shapes that do not broadcast are named by the comparison, not by the floor.
    assert G.difference_roundoff(np.ones(3), np.ones(3), np.ones(2), terms=1.0) == 0.0


class CountingForward:
    """tanh(x) * scale, evaluated by `f_each` (all inputs at once), counting its evaluations."""

    def __init__(self, scale: float = 1.0, raise_on_call: int | None = None) -> None:
        self.scale, self.calls, self.inputs_seen, self.raise_on_call = scale, 0, 0, raise_on_call

    def each(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        self.calls += 1
        self.inputs_seen += len(inputs)
        if self.calls == self.raise_on_call:
            raise RuntimeError("the student's forward raised")
        return [np.tanh(x_) * self.scale for x_ in inputs]


def tanh_case(shape=(3, 4), seed=5):
    rng = np.random.default_rng(seed)
    x, v = rng.uniform(-2, 2, shape), rng.standard_normal(shape)
    return x, v, v * (1.0 - np.tanh(x) ** 2)  # x, v and the right J^T v


def test_an_agreeing_gradient_is_screened_in_four_evaluations():
    x, v, right = tanh_case()
    forward = CountingForward()
    measured = G.numeric_vjp_each(forward.each, x, v, analytic=right)
    assert forward.inputs_seen == 2 * G.SCREEN_DIRECTIONS < 2 * x.size
    assert np.array_equal(np.asarray(measured), right) and measured is not right
    assert isinstance(measured, G.NumericGradient) and measured.roundoff == 0.0
    # What the coordinate-by-coordinate measurement would have said: the same verdict.
    assert G.relative_error(right, G.numeric_vjp_each(CountingForward().each, x, v)) < G.NUMERIC_RTOL


def test_a_wrong_gradient_is_measured_coordinate_by_coordinate():
    x, v, right = tanh_case()
    one_off = right.copy()
    one_off[1, 2] += 0.01 * G.max_abs(right)  # one entry off by 1% of the largest
    for wrong in (right * 2.0, right.T.reshape(x.shape), -right, np.zeros_like(right), one_off):
        forward = CountingForward()
        measured = G.numeric_vjp_each(forward.each, x, v, analytic=wrong)
        assert forward.inputs_seen == 2 * G.SCREEN_DIRECTIONS + 2 * x.size
        full = G.numeric_vjp_each(CountingForward().each, x, v)
        assert np.array_equal(np.asarray(measured), np.asarray(full)) and measured.roundoff == full.roundoff
        assert G.relative_error(wrong, measured) > G.NUMERIC_RTOL


def test_what_cannot_be_screened_is_measured_outright():
    x, v, right = tanh_case()
    unscreenable = (right.reshape(4, 3), right.astype(object), np.where(right > 0, np.nan, right),
                    right.tolist(), "dx")
    for analytic in unscreenable:
        forward = CountingForward()
        G.numeric_vjp_each(forward.each, x, v, analytic=analytic)
        assert forward.inputs_seen == 2 * x.size
    small_x, small_v, small_right = tanh_case(shape=(G.SCREEN_DIRECTIONS,))
    forward = CountingForward()
    G.numeric_vjp_each(forward.each, small_x, small_v, analytic=small_right)
    assert forward.inputs_seen == 2 * small_x.size  # nothing to gain below that size


def test_a_forward_that_raises_while_screened_raises_where_it_is_measured():
    x, v, right = tanh_case()
    once = CountingForward(raise_on_call=1)  # only the screen's evaluation raises
    measured = G.numeric_vjp_each(once.each, x, v, analytic=right)
    assert once.calls == 2 and G.relative_error(right, measured) < G.NUMERIC_RTOL

    def always(inputs):
        raise StudentException("ValueError: the student's forward raised", exc_type="ValueError")

    with pytest.raises(StudentException, match="forward raised"):
        G.numeric_vjp_each(always, x, v, analytic=right)


def test_a_time_out_while_screened_is_not_paid_twice():
    x, v, right = tanh_case()
    calls = []

    def hangs(inputs):
        calls.append(len(inputs))
        raise StudentTimeout("ReLU.forward() timed out after 5 s")

    with pytest.raises(StudentTimeout):
        G.numeric_vjp_each(hangs, x, v, analytic=right)
    assert calls == [2 * G.SCREEN_DIRECTIONS]  # reported from the screen, not waited out again


def test_the_directions_come_from_the_input():
    x, v, right = tanh_case()
    seen: list[list[np.ndarray]] = []

    def recording(inputs):
        seen.append([x_.copy() for x_ in inputs])
        return [np.tanh(x_) for x_ in inputs]

    for _ in range(2):
        G.numeric_vjp_each(recording, x, v, analytic=right)
    other = x.copy()
    other[0, 0] += 0.5
    G.numeric_vjp_each(recording, other, v, analytic=v * (1.0 - np.tanh(other) ** 2))
    assert all(np.array_equal(a, b) for a, b in zip(seen[0], seen[1]))
    assert not np.allclose(seen[0][0] - x, seen[2][0] - other)
