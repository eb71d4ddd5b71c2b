"""Checks of training: the student's MLP trained with the student's train() on MNIST.

Everything is measured by the grader: losses and accuracies come from the
student's weights run through the reference forward pass, the loop's
behaviour from spies on forward/backward inside the worker (how many passes,
which rows went into which batch). The experiments live in
`grader.training.session.TrainingSession` and run once per submission; each
check reads the ones it needs.

Checks and what they catch:
- init: loss at initialisation near ln C (init-scale); hidden units differ (init-symmetric)
- a tiny batch (50 samples) is overfitted (no-learning, divergence)
- one full-batch epoch is exactly one SGD step (optimizer-direction, loss-reduction, ...)
- lr=0 leaves the weights unchanged; epochs and batch_size drive the number of
  updates (ignores-hyperparameters, too-few-updates)
- class-sorted data is reshuffled every epoch (no-shuffle)
- same seed, same result (nondeterministic)
- the full run: loss falls (divergence), no single-class collapse, test accuracy
  above the calibrated bar (accuracy-below-threshold)
- the student's layers under the grader's own loop, to tell layer bugs from loop bugs
- the full run within the time budget (too-slow, performance tag)
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import pytest

from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.default.init_scale import too_small
from grader.profiles.default.network import localise_network
from grader.sandbox import StudentFailure, StudentTimeout
from grader.training.instrument import (OK, epochs_verdict, shuffle_stats, shuffle_verdict,
                                        split_epochs, update_verdict)
from grader.training.session import TrainingSession, Unmeasurable
from grader.training.steps import step_verdict

INIT_LOSS_TOLERANCE = 2.0     # loss at init above ln C + this: weights too large
TINY_INIT_SCALE = 1e-3        # std(W) * sqrt(fan_in) below this in every layer: too small


@pytest.fixture(scope="module")
def session(student: Any, rubric: Any, dataset: Any, grading_seed: int, artifacts: dict) -> TrainingSession:
    return TrainingSession(student, rubric, dataset, grading_seed, artifacts)


@contextlib.contextmanager
def slow_is_too_slow(session: TrainingSession) -> Iterator[None]:
    """A run that does not fit the time budget: `too-slow` with partial credit.

    Only for training that finished, just slowly (the timed probe ran). A run
    that timed out never finished: its StudentTimeout goes through as `timeout`,
    without credit.
    """
    try:
        yield
    except Unmeasurable as exc:
        fail("too-slow", f"this check was skipped because training is too slow: {exc}; vectorise "
             "forward/backward over the batch (no Python loops over samples)", credit=0.5)


def _lr_ignored(session: TrainingSession) -> bool:
    try:
        return session.lr_zero_changed()[0]
    except Exception:
        return False


def _bad_init(session: TrainingSession) -> str:
    """A sentence if the initial weights are the likely culprit, else ''."""
    try:
        init = session.init()
    except Exception:
        return ""
    if init.identical_units:
        return "identical (e.g. zero) initial weights"
    if not math.isfinite(init.loss) or init.loss > math.log(session.sizes[-1]) + INIT_LOSS_TOLERANCE:
        return "too large initial weights"
    # So small (0.01 * randn) that learning starts slowly: a short run, the self-check's, misses its bar.
    if any(too_small(scale) for scale in init.scales):
        return "too small initial weights"
    return ""


def layer_at_fault(session: TrainingSession) -> str:
    """The first layer that differs inside the network at the training sizes (replayed layer
    by layer, see the profile's localise.py), as a sentence to append; '' when none does."""
    try:
        found = localise_network(session.student, session.sizes, session.activation,
                                 session.seed)
    except (CheckFailure, StudentFailure):
        return ""
    return f" Replayed layer by layer at the training sizes: {found.hint}." if found else ""


def blame(session: TrainingSession) -> str:
    """Whether the student's layers learn under the grader's loop, as a sentence to append."""
    try:
        comparison = session.loop()
    except Exception:  # the loop check reports its own failures
        return ""
    init = _bad_init(session)
    if comparison.learns and init:
        return (f" Your layers learn under the grader's own training loop from the reference's "
                f"initial weights, so the culprit is your {init} (see the init checks).")
    if comparison.learns:
        return (" Your layers learn under the grader's own training loop, so the bug is in train() "
                "(batching, loss, backward call or update).")
    return (" Your layers do not learn even under the grader's own training loop either, so fix the "
            "layer/loss checks first." + layer_at_fault(session))


# ---------------------------------------------------------------------------- initialisation

@title("Training: the initial loss is near ln(classes)")
@tags("training")
def test_initial_loss_near_log_c(session: TrainingSession) -> None:
    init = session.init()
    n_classes = session.sizes[-1]
    log_c = math.log(n_classes)
    scales = ", ".join(f"{s:.3g}" for s in init.scales)
    detail = (f"loss at initialisation {init.loss:.3g} (ln {n_classes} = {log_c:.2f}); "
              f"std(W)*sqrt(fan_in) per Linear: {scales} (He init: 1.41)")
    if not math.isfinite(init.loss):
        fail("init-scale", "the initial network already gives inf/NaN logits: the weights are far too "
             "large; draw W from rng with std sqrt(2 / fan_in)", message=detail)
    if init.loss > log_c + INIT_LOSS_TOLERANCE:
        fail("init-scale", f"the loss at initialisation is {init.loss:.3g}, far above ln {n_classes} = "
             f"{log_c:.2f}: the initial weights are too large; scale the random weights by "
             "sqrt(2 / fan_in) (He) or sqrt(1 / fan_in)", message=detail)
    if init.scales and max(init.scales) < TINY_INIT_SCALE and max(init.scales) > 0.0:
        fail("init-scale", "the initial weights are so small that the signal vanishes "
             f"(std(W)*sqrt(fan_in) = {max(init.scales):.2g}): scale them by sqrt(2 / fan_in)",
             message=detail)


@title("Training: hidden units start with different weights")
@tags("training")
def test_hidden_units_differ_at_init(session: TrainingSession) -> None:
    init = session.init()
    if init.identical_units:
        layer = init.identical_units[0]
        units = session.sizes[layer + 1]
        fail("init-symmetric", f"all {units} units of hidden layer {layer + 1} start with identical "
             "weights (e.g. zeros or a constant), so they receive identical gradients and stay "
             "identical; draw W randomly from rng (b may be 0)")


# ---------------------------------------------------------------------------- learning at all

@title("Training: train() fits 50 samples")
@tags("training")
def test_overfits_tiny_batch(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        tiny = session.tiny()
    required = min(0.9, tiny.ref_accuracy - 0.1)
    detail = (f"50 training samples, 30 epochs, batch_size 10: train accuracy {tiny.train_accuracy:.0%} "
              f"(reference {tiny.ref_accuracy:.0%}), loss {tiny.loss_before:.3g} -> {tiny.loss_after:.3g}")
    if not tiny.finite or not math.isfinite(tiny.loss_after):
        fail("divergence", "training on 50 samples made the weights inf/NaN." + blame(session), message=detail)
    if tiny.loss_after > 1.05 * tiny.loss_before + 0.01:
        fail("divergence", f"training on 50 samples raised the loss from {tiny.loss_before:.3g} to "
             f"{tiny.loss_after:.3g} instead of lowering it." + blame(session), message=detail)
    if tiny.train_accuracy < required:
        fail("no-learning", f"train() cannot even fit 50 samples: after 30 epochs it gets "
             f"{tiny.train_accuracy:.0%} of them right (the reference: {tiny.ref_accuracy:.0%})."
             + blame(session), message=detail)


@title("Training: one full-batch epoch is one SGD step")
@tags("training")
def test_one_step_is_sgd(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        step = session.one_step()
    if step.fit is None:
        return
    verdict = step_verdict(step.fit, n_rows=step.n_rows, lr=step.lr, backward_calls=step.backward_calls)
    if verdict.id == "optimizer-update" and step.fit.residual <= 0.05 and _lr_ignored(session):
        hint = (f"with lr={step.lr:g} train() stepped {step.fit.scale:.3g} x lr * dW, and with lr=0 it "
                "still changed the weights: it ignores its lr argument; pass lr to the optimizer")
        fail("ignores-hyperparameters", hint, message=f"{hint} [{step.fit.describe()}]")
    if not verdict.ok:
        fail(verdict.id, verdict.hint, message=f"{verdict.hint} [{step.fit.describe()}]",  # type: ignore[arg-type]
             more=_more(verdict))


# ---------------------------------------------------------------------------- hyperparameters

@title("Training: lr = 0 leaves the weights unchanged")
@tags("training")
def test_learning_rate_is_used(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        changed, change = session.lr_zero_changed()
    if changed:
        fail("ignores-hyperparameters", f"train(..., lr=0) still changed the weights (by up to "
             f"{change:.3g}): it ignores its lr argument; pass lr to the optimizer")


@title("Training: one update per batch in every epoch")
@tags("training")
def test_updates_per_epoch(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        trace, _ = session.sorted_trace()
    per_sample = None
    if trace.modal_batch == 1 and trace.batch_size > 1:
        try:
            step = session.one_step()
            per_sample = step.fit is not None and step.fit.scale > 2.0
        except Exception:
            per_sample = None
    verdict = update_verdict(trace, per_sample_steps=per_sample)
    if not verdict.ok:
        fail(verdict.id, verdict.hint, message=f"{verdict.hint}. Seen: {trace.summary()}",  # type: ignore[arg-type]
             more=_more(verdict))


@title("Training: runs the number of epochs asked for")
@tags("training")
def test_epochs_argument(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        one, two = session.epoch_counts()
    verdict = epochs_verdict(one, two)
    if not verdict.ok:
        fail(verdict.id, verdict.hint)  # type: ignore[arg-type]


@title("Training: the data is reshuffled every epoch")
@tags("training")
def test_reshuffles_every_epoch(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        trace, labels = session.sorted_trace()
    if not trace.batches or trace.matched_fraction < 0.5:
        return  # the batches cannot be recovered (e.g. no forward calls seen): nothing to judge
    if (trace.modal_batch or 0) >= trace.n:
        return  # full-batch steps: shuffling is moot; the update-count check reports the batching
    epochs = split_epochs(trace.batches, trace.epochs, trace.n)
    verdict = shuffle_verdict(shuffle_stats(epochs, labels), batch_size=trace.modal_batch or trace.batch_size)
    if not verdict.ok:
        fail(verdict.id, verdict.hint)  # type: ignore[arg-type]


@title("Training: the same seed gives the same result")
@tags("training")
def test_reproducible_with_seed(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        r = session.repro()
    if not r.init_same_seed_equal:
        fail("nondeterministic", "MLP(sizes, rng=np.random.default_rng(seed)) built twice with the same "
             "seed has different weights: draw every initial weight from the rng argument, not np.random")
    if not r.train_same_seed_equal:
        fail("nondeterministic", "two train() runs from the same weights with the same rng seed end "
             "with different weights: draw the shuffles from the rng argument, not np.random or a "
             "fresh default_rng()")
    if not r.init_other_seed_differs and not r.init_constant:  # constant init: the init checks report it
        fail("nondeterministic", "MLP gives the same initial weights for different rng seeds: it "
             "ignores its rng argument (a fixed seed inside?); draw the weights from rng")
    if not r.train_other_seed_differs and r.train_changed_weights:
        try:
            trace, labels = session.sorted_trace()
            epochs = split_epochs(trace.batches, trace.epochs, trace.n)
            shuffles = shuffle_verdict(shuffle_stats(epochs, labels), batch_size=trace.batch_size).ok
        except Exception:
            shuffles = False
        if shuffles:  # a loop that never shuffles is reported by the shuffle check instead
            fail("nondeterministic", "train() gives identical results for different rng seeds: it "
                 "ignores its rng argument (a fixed seed inside?); shuffle with rng.permutation")


# ---------------------------------------------------------------------------- the full run

@title("Training: the loss falls and stays finite")
@tags("training")
def test_loss_decreases(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        main = session.main()
    history = main.history
    if not main.finite_weights:
        fail("divergence", "training made the weights inf/NaN: the updates are far too large (is the "
             "loss summed instead of averaged, or lr misapplied?)" + blame(session))
    if not math.isfinite(main.loss_after):
        fail("divergence", "after training the network's logits are inf/NaN." + blame(session))
    if main.loss_after > 1.05 * main.loss_before + 0.01:
        fail("divergence", f"training raised the training loss from {main.loss_before:.3g} to "
             f"{main.loss_after:.3g} (measured by the grader)." + blame(session))
    if any(not math.isfinite(h) for h in history):
        fail("divergence", "the loss history returned by train() contains inf/NaN.")
    if main.history_problem:
        # The contract's return value: the reports plot it, and students compare curves by it.
        fail("missing-api", f"{main.history_problem}: train() must return a list with the mean "
             f"training loss of each epoch, one float per epoch (here {main.epochs})")
    if len(history) >= 2 and history[-1] > 1.1 * history[0] + 1e-9:
        fail("divergence", f"the per-epoch loss returned by train() rose from {history[0]:.3g} to "
             f"{history[-1]:.3g}.")


@title("Training: predictions do not collapse to one class")
@tags("training")
def test_no_single_class_collapse(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        main = session.main()
    if main.collapse.collapsed:
        fail("single-class-collapse", f"after training, {main.collapse.describe()}: the network "
             "predicts (almost) one class for everything." + blame(session))


@title("Training: test accuracy reaches the bar")
@tags("training")
def test_accuracy(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        main = session.main()
    ref = main.reference
    workload = (f"{main.n_train} samples x {main.epochs} epochs"
                + (" (shrunk to fit the time budget)" if main.shrunk else ""))
    detail = (f"test accuracy {main.test_accuracy:.1%} from your trained weights; bar {main.threshold:.1%} "
              f"(reference trained the same way: {ref.test_accuracy:.1%}); {workload}")
    if main.test_accuracy < main.threshold:
        fail("accuracy-below-threshold", f"your trained network reaches {main.test_accuracy:.1%} test "
             f"accuracy, below the bar of {main.threshold:.1%} (the reference reaches "
             f"{ref.test_accuracy:.1%} trained the same way)." + blame(session), message=detail)
    if main.predict_agreement is not None and main.predict_agreement < 0.99:
        fail("accuracy-below-threshold", f"your trained weights reach {main.test_accuracy:.1%}, but "
             f"predict() agrees with argmax(forward(x)) on only {main.predict_agreement:.0%} of the test "
             f"images ({main.predict_accuracy:.1%} correct): predict must return np.argmax(logits, "
             "axis=1)", message=detail)


@title("Training: your layers learn under the grader's loop")
@tags("training")
def test_layers_learn_under_grader_loop(session: TrainingSession) -> None:
    with slow_is_too_slow(session):
        comparison = session.loop()
    s, r = comparison.student, comparison.reference
    if comparison.error:
        fail("shape-mismatch", f"the grader's own training loop could not use your layers: "
             f"{comparison.error.rstrip('. ')}." + layer_at_fault(session))
    detail = (f"grader's loop (its batches, loss and SGD; your forward/backward): held-out accuracy "
              f"{s.eval_accuracy:.0%} (reference layers: {r.eval_accuracy:.0%}), loss "
              f"{s.initial_loss:.3g} -> {s.final_loss:.3g}")
    if s.diverged or not math.isfinite(s.final_loss):
        fail("divergence", "under the grader's own SGD loop your layers' gradients drive the weights to "
             "inf/NaN: forward/backward (dW, db) are wrong; see the layer checks."
             + layer_at_fault(session), message=detail)
    if not comparison.learns:
        fail("no-learning", f"your layers do not learn even under the grader's own training loop "
             f"({s.eval_accuracy:.0%} held-out accuracy vs {r.eval_accuracy:.0%} for the reference): "
             "the bug is in forward/backward or dW/db; see the layer checks."
             + layer_at_fault(session), message=detail)


@title("Training: finishes within the time budget")
@tags("performance")
def test_training_time(session: TrainingSession) -> None:
    plan = session.plan()
    budget = plan.budget_s
    if plan.slow:
        estimate = f"about {plan.estimated_full_s:.0f} s"
        fail("too-slow", f"train() needs {estimate} for the full run ({session.cfg.n_train} samples x "
             f"{session.cfg.epochs} epochs; budget {budget:g} s): vectorise forward/backward over the "
             "batch instead of looping over samples in Python; the other training checks ran on "
             f"{plan.n_train} samples x {plan.epochs} epochs", credit=0.5)
    try:
        main = session.main()
    except StudentTimeout:
        raise  # a run that never finished earns nothing for its speed
    except Exception:
        return  # reported by the checks of the full run
    if main.seconds > budget:
        fail("too-slow", f"train() took {main.seconds:.1f} s for {main.n_train} samples x {main.epochs} "
             f"epochs (budget {budget:g} s): vectorise forward/backward over the batch", credit=0.5)


def _more(verdict: Any) -> tuple:
    from grader.checks.framework import diagnosis

    return tuple(diagnosis(i, h) for i, h in verdict.more)


__all__ = ["OK"]
