"""Every training experiment on one submission, run at most once and shared by the checks.

`TrainingSession` owns the student's side (models built with the student's
MLP, trained with the student's train() in the worker) and the grader's side
(the reference trained the same way, the grader's own loop). Each experiment
is memoised, including a failure: a StudentFailure raised by the student's
code is stored and re-raised to every check that needs that experiment.

Workload. A vectorised submission trains the rubric's full run in well under a
second. A slow one (Python loops over samples) is first timed on a short
probe; when the extrapolated full run exceeds `training.time_budget_s`, every
run is shrunk to fit (`Plan`), the accuracy bar is calibrated on the same
shrunk run of the reference, and the performance check reports `too-slow`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.checks import diagnose as D
from grader.sandbox import Rng, StudentFailure
from grader.sandbox.errors import CallBlocked
from grader.training import calibration as cal
from grader.training.instrument import FingerprintTable, Trace, build_trace, class_sorted_subset
from grader.training.loop import LinearLayersMissing, LocalDriver, LoopResult, RemoteDriver, grader_loop
from grader.training.stats import (CollapseStats, accuracy, collapse_stats, confusion_matrix,
                                   cross_entropy, cross_entropy_grad, finite_history,
                                   history_problem)
from grader.training.steps import StepFit, fit_step, flatten

Params = cal.Params

# Sizes of the small experiments (samples x epochs), vectorised submission.
PROBE_N = 256
SORTED_PER_CLASS, SORTED_BATCH, SORTED_EPOCHS = 65, 24, 3       # 650 class-sorted rows, 28 batches/epoch
TINY_PER_CLASS, TINY_BATCH, TINY_EPOCHS = 5, 10, 30             # 50 rows, 150 updates
STEP_N = 64                                                     # one full-batch step
LR0_N, LR0_BATCH = 64, 32
REPRO_N, REPRO_BATCH = 256, 32
LOOP_N, LOOP_EVAL, LOOP_BATCH, LOOP_EPOCHS = 600, 500, 50, 3    # grader's loop: 36 steps
INIT_N = 500


class Unmeasurable(Exception):
    """An experiment would not fit in the time budget for this (slow) submission."""


@dataclass
class Plan:
    """How much training this submission can afford (seconds per sample-epoch measured on a probe)."""

    per_sample_s: float
    probe_s: float
    estimated_full_s: float
    budget_s: float
    n_train: int
    epochs: int

    @property
    def slow(self) -> bool:
        return self.estimated_full_s > self.budget_s

    @property
    def shrunk(self) -> bool:
        return self.slow

    def seconds(self, sample_epochs: float) -> float:
        return self.per_sample_s * sample_epochs

    def timeout(self, sample_epochs: float, hard_s: float) -> float:
        return float(min(hard_s, max(10.0, 5.0 * self.seconds(sample_epochs) + 5.0)))


@dataclass
class InitResult:
    loss: float                       # grader's CE of the student's initial logits
    loss_from_weights: float          # grader's CE of the reference forward on the student's weights
    scales: list[float]               # std(W) * sqrt(fan_in) per Linear
    identical_units: list[int]        # indices (0-based) of hidden Linear layers whose units are all equal
    n_linears: int
    logits_ok: bool


@dataclass
class MainResult:
    n_train: int
    epochs: int
    seconds: float
    history: list[float]
    history_raw_ok: bool
    finite_weights: bool
    loss_before: float
    loss_after: float
    test_accuracy: float
    predict_accuracy: float | None    # accuracy of the student's own predict(); None if unusable
    predict_agreement: float | None
    collapse: CollapseStats
    confusion: np.ndarray
    reference: cal.ReferenceRun
    threshold: float
    shrunk: bool
    history_problem: str = ""         # train()'s return value against the contract ("" = complies)


@dataclass
class TinyResult:
    train_accuracy: float
    loss_before: float
    loss_after: float
    finite: bool
    ref_accuracy: float


@dataclass
class StepResult:
    fit: StepFit | None
    backward_calls: int | None
    n_rows: int
    lr: float
    layer_grad_ok: bool


@dataclass
class ReproResult:
    init_same_seed_equal: bool
    init_other_seed_differs: bool
    train_same_seed_equal: bool
    train_other_seed_differs: bool
    train_changed_weights: bool
    init_constant: bool              # every initial weight matrix is constant (e.g. zeros): no rng use to judge


@dataclass
class LoopComparison:
    student: LoopResult
    reference: LoopResult
    error: str = ""

    @property
    def learns(self) -> bool:
        s, r = self.student, self.reference
        if self.error or s.diverged or not math.isfinite(s.final_loss):
            return False
        return (s.final_loss < 0.8 * s.initial_loss
                and s.eval_accuracy >= max(0.2, r.eval_accuracy - 0.15))


@dataclass
class _Memo:
    value: Any = None
    error: BaseException | None = None
    done: bool = False


class TrainingSession:
    def __init__(self, student: Any, rubric: Any, dataset: Any, seed: int, artifacts: dict[str, Any]) -> None:
        self.student = student
        self.rubric = rubric
        self.cfg = rubric.training
        self.limits = rubric.limits
        self.dataset = dataset
        self.seed = int(seed) % (2 ** 31)
        self.artifacts = artifacts
        self.sizes = [int(dataset.X_train.shape[1]), *[int(h) for h in self.cfg.hidden], 10]
        self.activation = self.cfg.activation
        self._memo: dict[str, _Memo] = {}

    # ------------------------------------------------------------------ plumbing
    def _once(self, name: str, fn: Callable[[], Any]) -> Any:
        memo = self._memo.setdefault(name, _Memo())
        if not memo.done:
            try:
                memo.value = fn()
            except (StudentFailure, Unmeasurable, LinearLayersMissing, ValueError) as exc:
                memo.error = exc
            memo.done = True
        if memo.error is not None:
            raise memo.error
        return memo.value

    def s(self, k: int) -> int:
        """Derived seeds, all non-negative ints."""
        return (self.seed + 7919 * k) % (2 ** 31)

    def new_model(self, init_seed: int) -> Any:
        return self.student.new("network", "MLP", list(self.sizes), activation=self.activation,
                                rng=Rng(init_seed))

    def train(self, model: Any, X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
              lr: float, seed: int, timeout_s: float) -> Any:
        try:
            return self.student.call("network", "train", model, X, y, epochs=epochs, batch_size=batch_size,
                                     lr=lr, rng=Rng(seed), timeout_s=timeout_s)
        except StudentFailure as exc:
            # A shape error here is often the optimizer tripping over a gradient that
            # Linear.backward made with the wrong shape: name that gradient, not the optimizer.
            blamed = self._blame_gradients(model, exc)
            if blamed is None:
                raise
            raise blamed from exc

    def _blame_gradients(self, model: Any, exc: StudentFailure) -> StudentFailure | None:
        if not D.is_shape_error(exc):
            return None
        try:
            linears = RemoteDriver(model).linears
        except (StudentFailure, LinearLayersMissing):
            return None
        return D.blame_gradients(exc, linears, (("dW", "W"), ("db", "b")))

    def params(self, model: Any) -> Params:
        return self.orient(RemoteDriver(model).params())

    def orient(self, params: Params) -> Params:
        """The contract's layout (W (in, out), b (out,)); a transposed W is accepted, garbage is not."""
        expected = list(zip(self.sizes[:-1], self.sizes[1:]))
        if len(params) != len(expected):
            raise ValueError(f"MLP.layers holds {len(params)} Linear layers; sizes {self.sizes} need "
                             f"{len(expected)}")
        out: Params = []
        for (W, b), (fan_in, fan_out) in zip(params, expected):
            if W.shape == (fan_in, fan_out):
                pass
            elif W.shape == (fan_out, fan_in):
                W = W.T
            else:
                raise ValueError(f"a Linear's W has shape {W.shape}; expected ({fan_in}, {fan_out})")
            if b.size != fan_out:
                raise ValueError(f"a Linear's b has shape {b.shape}; expected ({fan_out},)")
            out.append((W, b.reshape(fan_out)))
        return out

    @property
    def hard_timeout(self) -> float:
        return float(self.limits.train_timeout_s)

    def X(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        X, y = self.dataset.X_train, self.dataset.y_train
        return (X, y) if n is None else (X[:n], y[:n])

    # ------------------------------------------------------------------ the plan
    def plan(self) -> Plan:
        return self._once("plan", self._plan)

    def _plan(self) -> Plan:
        n_full, epochs = int(self.cfg.n_train), int(self.cfg.epochs)
        n_full = min(n_full, len(self.dataset.y_train))
        budget = float(self.cfg.time_budget_s)
        n_probe = min(PROBE_N, n_full)
        X, y = self.X(n_probe)
        model = self.new_model(self.s(90))
        # Warm-up on two rows: a train() that hangs is found here, within one call's limit.
        self.train(model, X[:2], y[:2], epochs=1, batch_size=2, lr=0.0, seed=self.s(91),
                   timeout_s=float(self.limits.call_timeout_s))
        probe_timeout = float(min(self.hard_timeout, max(5.0, budget / 2)))
        started = time.perf_counter()
        # A probe that does not finish is a train() that never finished: StudentTimeout,
        # remembered for every check that needs the plan (no too-slow partial credit).
        self.train(model, X, y, epochs=1, batch_size=int(self.cfg.batch_size), lr=float(self.cfg.lr),
                   seed=self.s(92), timeout_s=probe_timeout)
        probe_s = time.perf_counter() - started
        per_sample = probe_s / n_probe
        full = per_sample * n_full * epochs
        plan = Plan(per_sample, probe_s, full, budget, n_full, epochs)
        if plan.slow:
            # Half the budget for the main run, at least one epoch of 200 samples.
            affordable = max(200.0, 0.5 * budget / max(per_sample, 1e-9))
            plan.epochs = int(max(1, min(epochs, affordable // n_full)))
            plan.n_train = int(min(n_full, max(200, affordable // plan.epochs)))
        return plan

    def affordable(self, sample_epochs: float, what: str) -> float:
        """The time-out for a run of this size, or Unmeasurable if it does not fit the budget."""
        plan = self.plan()
        cap = max(5.0, float(self.cfg.time_budget_s) / 4)
        if plan.slow and plan.seconds(sample_epochs) > cap:
            raise Unmeasurable(
                f"{what} would take about {plan.seconds(sample_epochs):.0f} s at this submission's speed "
                f"({plan.per_sample_s * 1e3:.2f} ms per sample per epoch)")
        return plan.timeout(sample_epochs, self.hard_timeout)

    # ------------------------------------------------------------------ experiments
    def init(self) -> InitResult:
        return self._once("init", self._init)

    def _init(self) -> InitResult:
        X, y = self.X(INIT_N)
        model = self.new_model(self.s(0))
        params = self.params(model)
        logits = model.call("forward", X)
        logits_ok = isinstance(logits, np.ndarray) and logits.shape == (len(y), self.sizes[-1])
        from_weights = cross_entropy(cal.ref_forward(params, X, self.activation), y)
        loss = cross_entropy(logits.astype(np.float64), y) if logits_ok else from_weights
        scales = [float(np.std(W) * math.sqrt(W.shape[0])) for W, _ in params]
        identical = [i for i, (W, _) in enumerate(params[:-1])
                     if W.shape[1] > 1 and float(np.max(np.ptp(W, axis=1))) == 0.0]
        return InitResult(loss, from_weights, scales, identical, len(params), logits_ok)

    def sorted_trace(self) -> tuple[Trace, np.ndarray]:
        """Class-sorted data through the student's train(), every forward/backward watched."""
        return self._once("sorted", self._sorted_trace)

    def _sorted_trace(self) -> tuple[Trace, np.ndarray]:
        per_class, epochs, batch = SORTED_PER_CLASS, SORTED_EPOCHS, SORTED_BATCH
        if self.plan().slow:
            per_class, epochs = 20, 2
        Xall, yall = self.X()
        idx = class_sorted_subset(yall, per_class)
        X, y = Xall[idx], yall[idx]
        timeout = self.affordable(len(y) * epochs, "the shuffling run")
        trace = self._watched_train(X, y, epochs=epochs, batch_size=batch, lr=float(self.cfg.lr),
                                    seed=self.s(10), init_seed=self.s(11), timeout_s=timeout)
        return trace, y

    def _watched_train(self, X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, lr: float,
                       seed: int, init_seed: int, timeout_s: float) -> Trace:
        model = self.new_model(init_seed)
        layers = model.get("layers")
        first = next((layer for layer in (layers if isinstance(layers, list) else [])
                      if hasattr(layer, "has") and layer.has("W")), None)
        watched = [(model, "forward"), (model, "backward")]
        if first is not None:
            watched += [(first, "forward"), (first, "backward")]
        for obj, name in watched:
            obj.spy(name)
        self.train(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, timeout_s=timeout_s)
        logs = {(i // 2, name): obj.spy_log(name) for i, (obj, name) in enumerate(watched)}
        # The model's own methods, unless train() bypasses them and drives the layers itself.
        fwd, bwd = logs[(0, "forward")], logs[(0, "backward")]
        if first is not None and len(logs[(1, "backward")]) > len(bwd):
            bwd = logs[(1, "backward")]
        if first is not None and len(logs[(1, "forward")]) > len(fwd):
            fwd = logs[(1, "forward")]
        return build_trace(fwd, bwd, table=FingerprintTable(X), n=len(y), epochs=epochs,
                           batch_size=batch_size)

    def epoch_counts(self) -> tuple[int, int]:
        """Backward passes with epochs=1 and epochs=2 on the same 256 rows."""
        return self._once("epochs", self._epoch_counts)

    def _epoch_counts(self) -> tuple[int, int]:
        n = REPRO_N if not self.plan().slow else 64
        X, y = self.X(n)
        counts = []
        for epochs in (1, 2):
            timeout = self.affordable(n * epochs, "the epochs run")
            trace = self._watched_train(X, y, epochs=epochs, batch_size=REPRO_BATCH, lr=float(self.cfg.lr),
                                        seed=self.s(20), init_seed=self.s(21), timeout_s=timeout)
            counts.append(trace.backward_calls)
        return counts[0], counts[1]

    def lr_zero_changed(self) -> tuple[bool, float]:
        """(weights changed?, largest change) after train(lr=0)."""
        return self._once("lr0", self._lr_zero)

    def _lr_zero(self) -> tuple[bool, float]:
        X, y = self.X(LR0_N)
        timeout = self.affordable(LR0_N, "the lr=0 run")
        model = self.new_model(self.s(30))
        before = self.params(model)
        self.train(model, X, y, epochs=1, batch_size=LR0_BATCH, lr=0.0, seed=self.s(31), timeout_s=timeout)
        after = self.params(model)
        diff = flatten(after) - flatten(before)
        change = float(np.max(np.abs(diff))) if diff.size else 0.0
        if not math.isfinite(change):
            change = math.inf
        return change > 1e-12, change

    def one_step(self) -> StepResult:
        return self._once("step", self._one_step)

    def _one_step(self) -> StepResult:
        X, y = self.X(STEP_N)
        lr = float(self.cfg.lr) / 2.0  # not a common default, so an ignored lr shows
        timeout = self.affordable(STEP_N, "the one-step run")
        model = self.new_model(self.s(40))
        before = self.params(model)
        # The student's own layer gradient of the mean CE at these weights, on a twin model.
        twin = self.new_model(self.s(40))
        driver = RemoteDriver(twin)
        raw = driver.params()
        driver.set_params([(W if W.shape == rW.shape else W.T, b.reshape(rb.shape))
                           for (W, b), (rW, rb) in zip(before, raw)])
        logits = driver.forward(X)
        layer_grad_ok = False
        step = None
        if logits.shape == (len(y), self.sizes[-1]) and np.all(np.isfinite(logits)):
            driver.backward(cross_entropy_grad(logits, y))
            try:
                grads = self.orient(driver.grads())
                step = -lr * flatten(grads)
                _, ref_grads = cal.ref_gradients(before, X, y, self.activation)
                ref_step = -lr * flatten(ref_grads)
                layer_grad_ok = bool(np.allclose(step, ref_step, rtol=1e-5, atol=1e-8))
            except ValueError:
                step = None
        if step is None:  # the layers' own gradient is unusable: measure against the reference's
            _, ref_grads = cal.ref_gradients(before, X, y, self.activation)
            step = -lr * flatten(ref_grads)
        twin.release()
        model.spy("backward")
        self.train(model, X, y, epochs=1, batch_size=STEP_N, lr=lr, seed=self.s(41), timeout_s=timeout)
        backward_calls = len(model.spy_log("backward"))
        after = self.params(model)
        with np.errstate(all="ignore"):
            delta = flatten(after) - flatten(before)
        return StepResult(fit_step(delta, step), backward_calls, STEP_N, lr, layer_grad_ok)

    def repro(self) -> ReproResult:
        return self._once("repro", self._repro)

    def _repro(self) -> ReproResult:
        n = REPRO_N if not self.plan().slow else 64
        X, y = self.X(n)
        timeout = self.affordable(n, "the reproducibility run")
        a, b, c = (self.new_model(self.s(50)), self.new_model(self.s(50)), self.new_model(self.s(51)))
        pa, pb, pc = self.params(a), self.params(b), self.params(c)
        from grader.training.instrument import weights_equal

        init_same = weights_equal(pa, pb, rtol=0, atol=0)
        init_differs = not weights_equal(pa, pc)
        # Same starting weights for all three (set by the grader), so only train() can differ.
        for model in (b, c):
            RemoteDriver(model).set_params(self._as_student_layout(model, pa))
        results = []
        for model, seed in ((a, self.s(52)), (b, self.s(52)), (c, self.s(53))):
            self.train(model, X, y, epochs=1, batch_size=REPRO_BATCH, lr=float(self.cfg.lr), seed=seed,
                       timeout_s=timeout)
            results.append(self.params(model))
        constant = all(float(np.ptp(W)) == 0.0 for W, _ in pa)
        return ReproResult(init_same, init_differs, weights_equal(results[0], results[1]),
                           not weights_equal(results[0], results[2]),
                           train_changed_weights=not weights_equal(results[0], pa), init_constant=constant)

    def _as_student_layout(self, model: Any, params: Params) -> Params:
        raw = RemoteDriver(model).params()
        return [(W if W.shape == rW.shape else W.T, b.reshape(rb.shape))
                for (W, b), (rW, rb) in zip(params, raw)]

    def tiny(self) -> TinyResult:
        return self._once("tiny", self._tiny)

    def _tiny(self) -> TinyResult:
        Xall, yall = self.X()
        idx = class_sorted_subset(yall, TINY_PER_CLASS)
        idx = idx[np.random.default_rng(self.s(60)).permutation(len(idx))]
        X, y = Xall[idx], yall[idx]
        epochs = TINY_EPOCHS
        lr = float(self.cfg.lr)
        timeout = self.affordable(len(y) * epochs, "the tiny-batch run")
        model = self.new_model(self.s(61))
        before = self.params(model)
        self.train(model, X, y, epochs=epochs, batch_size=TINY_BATCH, lr=lr, seed=self.s(62),
                   timeout_s=timeout)
        after = self.params(model)
        finite = all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in after)
        ref = cal.train_reference(X, y, X, y, sizes=self.sizes, activation=self.activation, epochs=epochs,
                                  batch_size=TINY_BATCH, lr=lr, init_seed=self.s(61),
                                  train_seed=self.s(62), cache_key=("tiny", self.dataset.name, self.seed))
        return TinyResult(
            train_accuracy=accuracy(cal.ref_predict(after, X, self.activation), y),
            loss_before=cross_entropy(cal.ref_forward(before, X, self.activation), y),
            loss_after=cross_entropy(cal.ref_forward(after, X, self.activation), y),
            finite=finite, ref_accuracy=ref.train_accuracy)

    def loop(self) -> LoopComparison:
        return self._once("loop", self._loop)

    def _loop(self) -> LoopComparison:
        Xall, yall = self.X()
        n = min(LOOP_N, max(len(yall) - LOOP_EVAL, len(yall) // 2))
        X, y = Xall[:n], yall[:n]
        Xe, ye = Xall[n:n + LOOP_EVAL], yall[n:n + LOOP_EVAL]
        epochs = LOOP_EPOCHS
        try:
            plan: Plan | None = self.plan()
        except (StudentFailure, CallBlocked):
            plan = None  # train() itself failed; this loop does not need it, only the layers
        if plan is not None and plan.slow:
            epochs = 1
            self.affordable(n * epochs, "the grader's training loop")
        kwargs = dict(activation=self.activation, epochs=epochs, batch_size=LOOP_BATCH,
                      lr=float(self.cfg.lr), seed=self.s(70))
        from reference.network import MLP

        with cal.one_blas_thread():
            ref_model = MLP(list(self.sizes), activation=self.activation,
                            rng=np.random.default_rng(self.s(71)))
            ref_model_init = MLP(list(self.sizes), activation=self.activation,
                                 rng=np.random.default_rng(self.s(71)))
            reference = grader_loop(LocalDriver(ref_model), X, y, Xe, ye, **kwargs)
        model = self.new_model(self.s(71))
        timeout = (plan.timeout(LOOP_BATCH, float(self.limits.call_timeout_s))
                   if plan is not None and plan.slow else None)
        try:
            driver = RemoteDriver(model, timeout_s=timeout)
            # Same starting point as the reference's layers: the loop judges forward/backward, not init.
            driver.set_params(self._as_student_layout(model, LocalDriver(ref_model_init).params()))
            student = grader_loop(driver, X, y, Xe, ye, **kwargs)
        except ValueError as exc:  # wrong shapes or non-arrays from forward / dW / db
            return LoopComparison(LoopResult(), reference, error=str(exc))
        return LoopComparison(student, reference)

    def main(self) -> MainResult:
        return self._once("main", self._main)

    def _main(self) -> MainResult:
        plan = self.plan()
        n, epochs = plan.n_train, plan.epochs
        Xall, yall = self.X()
        if n < len(yall):
            pick = np.sort(np.random.default_rng(self.s(80)).permutation(len(yall))[:n])
            X, y = Xall[pick], yall[pick]
        else:
            X, y = Xall, yall
        Xt, yt = self.dataset.X_test, self.dataset.y_test
        batch, lr = int(self.cfg.batch_size), float(self.cfg.lr)
        init_seed, train_seed = self.s(1), self.s(2)
        model = self.new_model(init_seed)
        before = self.params(model)
        timeout = plan.timeout(n * epochs, self.hard_timeout)
        # The reference trains on the grader's core while the student's network trains in the worker.
        reference_run = cal.train_reference_meanwhile(
            X=X, y=y, X_test=Xt, y_test=yt, sizes=self.sizes, activation=self.activation, epochs=epochs,
            batch_size=batch, lr=lr, init_seed=init_seed, train_seed=train_seed,
            cache_key=(self.dataset.name, len(self.dataset.y_train), len(yt), self.seed))
        started = time.perf_counter()
        try:
            history = self.train(model, X, y, epochs=epochs, batch_size=batch, lr=lr, seed=train_seed,
                                 timeout_s=timeout)
        finally:
            seconds = time.perf_counter() - started
            reference = reference_run()
        threshold = cal.accuracy_threshold(reference.test_accuracy, float(self.cfg.accuracy_margin),
                                           float(self.cfg.min_accuracy))
        after = self.params(model)
        finite = all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in after)
        sub = slice(0, min(1000, n))
        loss_before = cross_entropy(cal.ref_forward(before, X[sub], self.activation), y[sub])
        loss_after = cross_entropy(cal.ref_forward(after, X[sub], self.activation), y[sub])
        pred = cal.ref_predict(after, Xt, self.activation)
        test_acc = accuracy(pred, yt)
        predict_acc = agreement = None
        try:
            theirs = model.call("predict", Xt)
            if isinstance(theirs, np.ndarray) and theirs.shape == yt.shape:
                predict_acc = accuracy(theirs.astype(np.int64, copy=False), yt)
                agreement = accuracy(theirs.astype(np.int64, copy=False), pred)
        except StudentFailure:
            pass  # predict itself is graded by the mlp checks
        history_list = finite_history(history)
        raw_ok = isinstance(history, (list, tuple, np.ndarray)) and len(history_list) > 0
        result = MainResult(
            n_train=n, epochs=epochs, seconds=seconds, history=history_list, history_raw_ok=raw_ok,
            finite_weights=finite, loss_before=loss_before, loss_after=loss_after, test_accuracy=test_acc,
            predict_accuracy=predict_acc, predict_agreement=agreement, collapse=collapse_stats(yt, pred),
            confusion=confusion_matrix(yt, pred), reference=reference, threshold=threshold,
            shrunk=plan.shrunk, history_problem=history_problem(history, epochs))
        self._publish(result)
        return result

    def _publish(self, r: MainResult) -> None:
        from grader.training.stats import json_floats

        self.artifacts["learning_curve"] = {"student": json_floats(r.history),
                                            "reference": json_floats(list(r.reference.history))}
        self.artifacts["confusion_matrix"] = r.confusion.astype(int).tolist()
        self.artifacts["predicted_histogram"] = list(r.collapse.predicted_histogram)
        self.artifacts["label_histogram"] = list(r.collapse.label_histogram)
        self.artifacts["per_class_recall"] = [round(v, 6) for v in r.collapse.recall]
        self.artifacts["per_class_precision"] = [round(v, 6) for v in r.collapse.precision]
        self.artifacts["test_accuracy"] = round(r.test_accuracy, 6)
        self.artifacts["reference_accuracy"] = round(r.reference.test_accuracy, 6)
        self.artifacts["accuracy_threshold"] = round(r.threshold, 6)
        self.artifacts["training_time_s"] = round(r.seconds, 3)
        self.artifacts["training_workload"] = {"n_train": r.n_train, "epochs": r.epochs, "shrunk": r.shrunk}
