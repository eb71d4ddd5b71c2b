"""Unit tests of the pure training helpers (no worker, no subprocess)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.profiles.default.init_scale import std_bounds, too_small
from grader.sandbox.spy import fingerprint
from grader.training.calibration import (accuracy_threshold, init_params, ref_forward, ref_gradients,
                                         train_reference)
from grader.training.instrument import (FingerprintTable, Trace, build_trace, class_sorted_subset,
                                        epochs_verdict, shuffle_stats, shuffle_verdict, split_epochs,
                                        training_forwards, update_verdict)
from grader.training.loop import LocalDriver, grader_loop
from grader.training import stats
from grader.training.stats import (accuracy, collapse_stats, confusion_matrix, cross_entropy,
                                   per_class_recall_precision,
                                   cross_entropy_grad, finite_history, json_floats)
from grader.training.steps import fit_step, step_verdict


# ----------------------------------------------------------------------------- threshold rule

def test_threshold_is_both_bars_when_the_reference_is_strong() -> None:
    assert accuracy_threshold(0.91, 0.03, 0.85) == pytest.approx(0.88)
    assert accuracy_threshold(0.99, 0.03, 0.85) == pytest.approx(0.96)


def test_threshold_never_comes_closer_than_half_the_margin_to_the_reference() -> None:
    assert accuracy_threshold(0.86, 0.03, 0.85) == pytest.approx(0.845)   # min_accuracy yields
    assert accuracy_threshold(0.70, 0.03, 0.85) == pytest.approx(0.685)   # shrunk workload


@given(st.floats(0.0, 1.0), st.floats(0.0, 0.2), st.floats(0.0, 1.0))
def test_threshold_properties(ref: float, margin: float, floor: float) -> None:
    t = accuracy_threshold(ref, margin, floor)
    assert t <= ref - margin / 2 + 1e-12                 # a correct solution keeps margin/2 of slack
    assert t >= ref - margin - 1e-12                     # never more lenient than ref - margin


# ----------------------------------------------------------------------------- stats

def test_confusion_matrix_rows_true_cols_predicted() -> None:
    cm = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 9]), n_classes=10)
    assert cm.shape == (10, 10) and cm.sum() == 4
    assert cm[0, 0] == 1 and cm[0, 1] == 1 and cm[1, 1] == 1 and cm[2, 9] == 1


def test_confusion_matrix_drops_out_of_range_and_handles_empty() -> None:
    cm = confusion_matrix(np.array([0, 1, 2]), np.array([-1, 1, 10]), n_classes=10)
    assert cm.sum() == 1 and cm[1, 1] == 1
    assert confusion_matrix(np.array([], int), np.array([], int)).tolist() == [[0] * 10] * 10


def test_per_class_recall_and_precision() -> None:
    y = np.repeat(np.arange(10), 10)
    pred = y.copy()
    pred[y == 0] = 1          # digit 0 is never predicted: recall 0, precision 0 (not NaN)
    pred[25:30] = 3           # half of the 2s are called 3
    recall, precision = per_class_recall_precision(y, pred)
    assert recall[0] == 0.0 and precision[0] == 0.0
    assert recall[1] == 1.0 and precision[1] == 0.5
    assert recall[2] == 0.5 and precision[3] == pytest.approx(10 / 15)
    stats = collapse_stats(y, pred)
    assert stats.recall == recall and stats.precision == precision
    assert stats.never_predicted == [0] and "never: 0" in stats.describe()


def test_accuracy_never_truncates_a_fractional_prediction() -> None:
    assert accuracy(np.array([1.0, 2.5, np.nan]), np.array([1, 2, 0])) == pytest.approx(1 / 3)
    assert accuracy(np.array([[1], [2]]), np.array([1, 2])) == 0.0


def test_collapse_detected_for_one_class() -> None:
    y = np.repeat(np.arange(10), 100)
    stats = collapse_stats(y, np.full(1000, 3))
    assert stats.collapsed and stats.top_class == 3 and stats.top_fraction == 1.0
    assert stats.n_predicted_classes == 1 and "100%" in stats.describe()


def test_collapse_not_flagged_for_a_decent_classifier() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 100)
    pred = np.where(rng.random(1000) < 0.9, y, rng.integers(0, 10, 1000))
    assert not collapse_stats(y, pred).collapsed


def test_collapse_respects_the_label_distribution() -> None:
    y = np.array([0] * 70 + [1] * 30)          # 70% class 0: predicting 0 everywhere is +30 points
    assert collapse_stats(y, np.zeros(100, dtype=int), n_classes=2).collapsed   # only one class ever
    pred = np.array([0] * 95 + [1] * 5)
    assert not collapse_stats(y, pred, n_classes=2).collapsed


def test_half_of_the_predictions_on_one_class_is_collapse() -> None:
    y = np.repeat(np.arange(10), 100)
    pred = y.copy()
    pred[:500] = 7
    assert collapse_stats(y, pred).collapsed


def test_cross_entropy_stable_and_inf_for_nonfinite() -> None:
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    assert cross_entropy(logits, np.array([0, 1])) == pytest.approx(0.0)
    assert cross_entropy(logits, np.array([1, 0])) == pytest.approx(1000.0)
    assert cross_entropy(np.array([[np.nan, 0.0]]), np.array([0])) == math.inf
    assert cross_entropy(np.zeros((5, 10)), np.zeros(5, dtype=int)) == pytest.approx(math.log(10))


def test_cross_entropy_grad_matches_numerical() -> None:
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    g = cross_entropy_grad(z, y)
    eps = 1e-6
    num = np.zeros_like(z)
    for i in range(4):
        for j in range(3):
            zp, zm = z.copy(), z.copy()
            zp[i, j] += eps
            zm[i, j] -= eps
            num[i, j] = (cross_entropy(zp, y) - cross_entropy(zm, y)) / (2 * eps)
    assert np.allclose(g, num, atol=1e-8)


def test_history_and_json_helpers() -> None:
    assert finite_history([1, 2.5, np.float64(3.0), "x", None, np.array([4.0])]) == [1.0, 2.5, 3.0, 4.0]
    assert finite_history("nope") == []
    assert finite_history(np.array([1.0, 2.0])) == [1.0, 2.0]
    assert json_floats([1.0, math.inf, math.nan]) == [1.0, None, None]
    assert accuracy(np.array([1, 2]), np.array([1, 3])) == 0.5


# ----------------------------------------------------------------------------- reference maths

def test_ref_gradients_match_the_reference_network() -> None:
    from reference.losses import SoftmaxCrossEntropy
    from reference.network import MLP

    rng = np.random.default_rng(3)
    X, y = rng.random((16, 20)), rng.integers(0, 10, 16)
    for act in ("relu", "sigmoid", "tanh"):
        model = MLP([20, 8, 10], activation=act, rng=np.random.default_rng(4))
        params = [(l.W, l.b) for l in model.layers if hasattr(l, "W")]
        loss_fn = SoftmaxCrossEntropy()
        loss = loss_fn.forward(model.forward(X), y)
        model.backward(loss_fn.backward())
        ours_loss, grads = ref_gradients(params, X, y, act)
        assert ours_loss == pytest.approx(loss)
        assert np.allclose(ref_forward(params, X, act), model.forward(X))
        for (dW, db), layer in zip(grads, [l for l in model.layers if hasattr(l, "W")]):
            assert np.allclose(dW, layer.dW) and np.allclose(db, layer.db)


def test_init_params_are_the_reference_init() -> None:
    params = init_params([784, 64, 10], 5)
    assert [W.shape for W, _ in params] == [(784, 64), (64, 10)]
    assert params[0][0].std() * math.sqrt(784) == pytest.approx(math.sqrt(2), rel=0.05)


def test_train_reference_memoised() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((100, 784)), rng.integers(0, 10, 100)
    kw = dict(sizes=[784, 16, 10], activation="relu", epochs=1, batch_size=20, lr=0.1, init_seed=1,
              train_seed=2, cache_key=("unit", 0))
    a = train_reference(X, y, X, y, **kw)
    b = train_reference(X, y, X, y, **kw)
    assert a is b and len(a.history) == 1


# ----------------------------------------------------------------------------- fingerprints / shuffling

def _sorted_data(per_class: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), per_class)
    X = rng.random((len(y), 784))
    return X, y


def _log_of(X: np.ndarray, batches: list[np.ndarray]) -> tuple[list[dict], list[dict]]:
    fwd = [{"arg_shapes": [[len(b), X.shape[1]]], "fingerprint": fingerprint(X[b])} for b in batches]
    bwd = [{"arg_shapes": [[len(b), 10]], "fingerprint": None} for b in batches]
    return fwd, bwd


def _batches(order_per_epoch: list[np.ndarray], B: int) -> list[np.ndarray]:
    return [order[s:s + B] for order in order_per_epoch for s in range(0, len(order), B)]


def test_fingerprint_table_matches_rows_and_rejects_strangers() -> None:
    X, _ = _sorted_data()
    table = FingerprintTable(X)
    idx = np.array([5, 0, 299, 17])
    assert table.match(fingerprint(X[idx])).tolist() == idx.tolist()
    assert table.match(fingerprint(X[idx] + 0.5)).tolist() == [-1] * 4
    assert table.match(None).size == 0


def _verdict_for(order_per_epoch: list[np.ndarray], B: int = 20):
    X, y = _sorted_data()
    fwd, bwd = _log_of(X, _batches(order_per_epoch, B))
    trace = build_trace(fwd, bwd, table=FingerprintTable(X), n=len(y), epochs=len(order_per_epoch),
                        batch_size=B)
    assert trace.matched_fraction == 1.0
    epochs = split_epochs(trace.batches, trace.epochs, trace.n)
    return shuffle_verdict(shuffle_stats(epochs, y), batch_size=B), trace


def test_shuffle_detection_passes_a_fresh_permutation_every_epoch() -> None:
    rng = np.random.default_rng(1)
    verdict, trace = _verdict_for([rng.permutation(300) for _ in range(3)])
    assert verdict.ok
    assert update_verdict(trace).ok


def test_shuffle_detection_flags_no_shuffle() -> None:
    verdict, _ = _verdict_for([np.arange(300)] * 3)
    assert verdict.id == "no-shuffle" and "never shuffles" in verdict.hint


def test_shuffle_detection_flags_one_shuffle_reused() -> None:
    order = np.random.default_rng(2).permutation(300)
    verdict, _ = _verdict_for([order] * 3)
    assert verdict.id == "no-shuffle" and "same mini-batches" in verdict.hint


def test_shuffle_detection_flags_shuffled_batch_order_only() -> None:
    rng = np.random.default_rng(3)
    epochs = []
    for _ in range(3):
        blocks = [np.arange(s, s + 20) for s in range(0, 300, 20)]
        epochs.append(np.concatenate([blocks[i] for i in rng.permutation(len(blocks))]))
    verdict, _ = _verdict_for(epochs)
    assert verdict.id == "no-shuffle" and "order of contiguous batches" in verdict.hint


def test_evaluation_forwards_are_not_batches() -> None:
    fwd = [{"arg_shapes": [[20, 784]]}, {"arg_shapes": [[300, 784]]}, {"arg_shapes": [[20, 784]]}]
    picked = training_forwards(fwd, [20, 20])
    assert [f["arg_shapes"][0][0] for f in picked] == [20, 20]


def test_split_epochs_by_repeat_when_counts_do_not_divide() -> None:
    b = [np.array([0, 1]), np.array([2, 3]), np.array([4]), np.array([1, 0]), np.array([3, 2])]
    assert [len(e) for e in split_epochs(b, 2, 5)] == [3, 2]


def test_class_sorted_subset() -> None:
    y = np.array([3, 1, 0, 1, 3, 0, 2, 2])
    idx = class_sorted_subset(y, 1, n_classes=4)
    assert y[idx].tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- update counts

def _trace(rows: list[int], n: int = 650, epochs: int = 3, B: int = 24) -> Trace:
    return Trace(n=n, epochs=epochs, batch_size=B, forward_calls=len(rows), backward_calls=len(rows),
                 backward_rows=rows)


def test_update_verdicts() -> None:
    full = [24] * 27 + [2]
    assert update_verdict(_trace(full * 3)).ok
    assert update_verdict(_trace([24] * 27 * 3)).ok                           # drop_last is fine
    assert update_verdict(_trace([650] * 10)).id == "too-few-updates"
    assert update_verdict(_trace([])).id == "too-few-updates"
    assert update_verdict(_trace(full * 5)).id == "ignores-hyperparameters"   # epochs ignored
    v = update_verdict(_trace([32] * 20 * 3 + [10] * 3))
    assert v.id == "ignores-hyperparameters" and "32 rows" in v.hint          # batch_size ignored
    ones = [1] * 650 * 3
    assert update_verdict(_trace(ones), per_sample_steps=False).ok            # accumulates: slow only
    assert update_verdict(_trace(ones), per_sample_steps=True).id == "ignores-hyperparameters"


def test_near_equal_batches_follow_batch_size() -> None:
    """np.array_split(order, ceil(N/B)): 28 batches of 23 or 24 rows for N=650, B=24."""
    sizes = [len(b) for b in np.array_split(np.arange(650), math.ceil(650 / 24))]
    assert set(sizes) == {23, 24}
    assert update_verdict(_trace(sizes * 3)).ok
    # Near-equal but for another batch size is still an ignored batch_size.
    other = [len(b) for b in np.array_split(np.arange(650), math.ceil(650 / 40))]
    assert update_verdict(_trace(other * 3)).id == "ignores-hyperparameters"
    assert update_verdict(_trace([20] * 32 * 3 + [10] * 3)).id == "ignores-hyperparameters"


def test_epochs_verdict() -> None:
    assert epochs_verdict(8, 16).ok
    assert epochs_verdict(10, 10).id == "ignores-hyperparameters"
    assert epochs_verdict(0, 0).ok


# ----------------------------------------------------------------------------- one-step fits

@pytest.mark.parametrize("c, expected", [
    (1.0, None), (0.0, "no-learning"), (-1.0, "optimizer-direction"), (64.0, "loss-reduction"),
    (1 / 64, "gradient-scale"), (2.0, "optimizer-update"), (-3.0, "optimizer-direction")])
def test_step_verdict_names_the_scale(c: float, expected: str | None) -> None:
    step = np.random.default_rng(0).normal(size=500)
    verdict = step_verdict(fit_step(c * step, step), n_rows=64, lr=0.05, backward_calls=1)
    assert verdict.id == expected


def test_step_verdict_per_sample_updates_and_garbage() -> None:
    rng = np.random.default_rng(0)
    step = rng.normal(size=500)
    v = step_verdict(fit_step(64 * step, step), n_rows=64, lr=0.05, backward_calls=64)
    assert v.id == "ignores-hyperparameters"
    v = step_verdict(fit_step(rng.normal(size=500), step), n_rows=64, lr=0.05, backward_calls=1)
    assert v.id == "optimizer-update"
    v = step_verdict(fit_step(rng.normal(size=500), step), n_rows=64, lr=0.05, backward_calls=3)
    assert v.id == "ignores-hyperparameters"
    v = step_verdict(fit_step(np.full(500, np.nan), step), n_rows=64, lr=0.05, backward_calls=1)
    assert v.id == "divergence"


# ----------------------------------------------------------------------------- grader's loop

def test_grader_loop_trains_the_reference() -> None:
    from grader.data import load_dataset
    from reference.network import MLP

    data = load_dataset(None, seed=0, n_train=1100, n_test=100)
    X, y = data.X_train[:600], data.y_train[:600]
    Xe, ye = data.X_train[600:1100], data.y_train[600:1100]
    model = MLP([784, 64, 10], rng=np.random.default_rng(0))
    result = grader_loop(LocalDriver(model), X, y, Xe, ye, activation="relu", epochs=3, batch_size=50,
                         lr=0.1, seed=1)
    assert result.steps == 36 and not result.diverged
    assert result.final_loss < 0.6 * result.initial_loss
    assert result.eval_accuracy > 0.7


def test_a_training_run_that_timed_out_is_run_once_and_repeated_to_every_check() -> None:
    """Every check that needs the full run shares one run; a time-out ends all of them at once."""
    from types import SimpleNamespace

    from grader.rubric import load_rubric
    from grader.sandbox import StudentTimeout
    from grader.training.session import TrainingSession

    rubric = load_rubric("default")
    dataset = SimpleNamespace(X_train=np.zeros((10, 4)), y_train=np.zeros(10, int), name="tiny")
    session = TrainingSession(student=None, rubric=rubric, dataset=dataset, seed=1, artifacts={})
    runs = []

    def hung_run() -> None:
        runs.append(1)
        raise StudentTimeout("network.train() did not return within 120 s")

    for _ in range(3):  # three checks asking for the same experiment
        with pytest.raises(StudentTimeout):
            session._once("main", hung_run)
    assert len(runs) == 1


def test_tiny_step_names_the_effective_learning_rate() -> None:
    """A hard-coded lr=1e-6 (a seed bug) is named, not just "the step is lost"."""
    from grader.training.steps import StepFit, step_verdict

    verdict = step_verdict(StepFit(scale=2e-5, residual=0.0, delta_norm=1e-7, step_norm=5e-3),
                           n_rows=64, lr=0.05, backward_calls=1)
    assert verdict.id == "no-learning"
    assert "as if the learning rate were 1e-06" in verdict.hint and "lr=1e-6" in verdict.hint


@pytest.mark.parametrize("history, problem", [
    ([2.3, 1.1, 0.7], ""),
    ([np.float64(2.3), 1, 0.7], ""),
    (None, "returns None"),
    (np.array([2.3, 1.1, 0.7]), "returns a NumPy array, not a list"),
    ([2.3, 1.1], "returns 2 values"),
    ([2.3, 1.1, float("nan")], "epoch 3 is nan"),
    ([2.3, "1.1", 0.7], "epoch 2 is a str"),
    ([2.3, True, 0.7], "epoch 2 is a bool"),
])
def test_history_contract(history, problem) -> None:
    from grader.training.stats import history_problem

    found = history_problem(history, 3)
    assert (problem in found and found) if problem else found == ""


# -- the metrics, counted with NumPy, equal scikit-learn's (which is no longer imported) --

@pytest.mark.parametrize("seed", range(6))
def test_metrics_equal_scikit_learns(seed: int) -> None:
    from sklearn import metrics

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, size=300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(-1, 12, size=300))  # some unknown classes
    if seed == 0:
        pred[:] = 3  # one class only: the others have no prediction (precision 0, not NaN)
    assert stats.accuracy(pred, y) == metrics.accuracy_score(y, pred)
    assert np.array_equal(stats.confusion_matrix(y, pred),
                          metrics.confusion_matrix(y, pred, labels=np.arange(10)))
    precision, recall, _, _ = metrics.precision_recall_fscore_support(
        y, pred, labels=np.arange(10), average=None, zero_division=0)
    assert stats.per_class_recall_precision(y, pred) == ([float(r) for r in recall],
                                                          [float(p) for p in precision])


def test_metrics_of_fractional_or_empty_predictions() -> None:
    y = np.array([1, 2, 3])
    assert stats.accuracy(np.array([1.0, 2.5, np.nan]), y) == pytest.approx(1 / 3)
    assert stats.confusion_matrix(np.array([], dtype=int), np.array([], dtype=int)).sum() == 0


# ----------------------------------------------------------------------------- init scale

def _scale(W: np.ndarray) -> float:
    return float(np.std(W) * math.sqrt(W.shape[0]))


@pytest.mark.parametrize("fan_in", [32, 400, 784])
def test_fan_in_scaled_inits_are_within_the_bounds_and_randn_001_is_too_small(fan_in: int) -> None:
    rng = np.random.default_rng(0)
    shape = (fan_in, 300)
    bound = 1.0 / math.sqrt(fan_in)
    scaled = {"he": rng.standard_normal(shape) * math.sqrt(2.0 / fan_in),
              "lecun": rng.standard_normal(shape) * math.sqrt(1.0 / fan_in),
              "xavier": rng.standard_normal(shape) * math.sqrt(2.0 / (fan_in + shape[1])),
              "uniform": rng.uniform(-bound, bound, shape)}
    low, high = std_bounds(fan_in)
    for name, W in scaled.items():
        assert low <= W.std() <= high, name
        assert not too_small(_scale(W)), name
    small = 0.01 * rng.standard_normal(shape)  # CS231n's weight_scale: no fan-in at all
    assert too_small(_scale(small)) and small.std() < low
    assert not too_small(0.0)  # no spread at all is the symmetry checks' init-symmetric
