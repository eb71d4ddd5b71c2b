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

The small experiments' bodies live in grader.training.experiments, what they
measured in grader.training.outcomes; the plan and the main run (the rubric's
full training, the accuracy bar, the report's plots) are here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.checks import diagnose as D
from grader.sandbox import Rng, StudentFailure
from grader.training import calibration as cal
from grader.training import experiments
from grader.training.experiments import PROBE_N
from grader.training.instrument import Trace
from grader.training.loop import LinearLayersMissing, RemoteDriver
from grader.training.outcomes import (InitResult, LoopComparison, MainResult, Plan, ReproResult, StepResult,
                                      TinyResult, Unmeasurable)
from grader.training.stats import (accuracy, collapse_stats, confusion_matrix, cross_entropy, finite_history,
                                   history_problem)

__all__ = ["TrainingSession", "Unmeasurable", "warm_reference_runs"]

Params = cal.Params


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
        return self._once("init", lambda: experiments.init(self))

    def sorted_trace(self) -> tuple[Trace, np.ndarray]:
        """Class-sorted data through the student's train(), every forward/backward watched."""
        return self._once("sorted", lambda: experiments.sorted_trace(self))

    def epoch_counts(self) -> tuple[int, int]:
        """Backward passes with epochs=1 and epochs=2 on the same 256 rows."""
        return self._once("epochs", lambda: experiments.epoch_counts(self))

    def lr_zero_changed(self) -> tuple[bool, float]:
        """(weights changed?, largest change) after train(lr=0)."""
        return self._once("lr0", lambda: experiments.lr_zero(self))

    def one_step(self) -> StepResult:
        return self._once("step", lambda: experiments.one_step(self))

    def repro(self) -> ReproResult:
        return self._once("repro", lambda: experiments.repro(self))

    def tiny(self) -> TinyResult:
        return self._once("tiny", lambda: experiments.tiny(self))

    def loop(self) -> LoopComparison:
        return self._once("loop", lambda: experiments.loop(self))

    def main(self) -> MainResult:
        return self._once("main", self._main)

    def _main(self) -> MainResult:
        plan = self.plan()
        n, epochs = plan.n_train, plan.epochs
        X, y = self.main_data(n)
        Xt, yt = self.dataset.X_test, self.dataset.y_test
        batch, lr = int(self.cfg.batch_size), float(self.cfg.lr)
        init_seed, train_seed = self.s(1), self.s(2)
        model = self.new_model(init_seed)
        before = self.params(model)
        timeout = plan.timeout(n * epochs, self.hard_timeout)
        # The reference trains on the grader's core while the student's network trains in the worker.
        reference_run = cal.train_reference_meanwhile(**self.main_reference(X, y, epochs))
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

    def main_data(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows the main run trains on: all of them, or a seeded subset of n in their order."""
        Xall, yall = self.X()
        if n < len(yall):
            pick = np.sort(np.random.default_rng(self.s(80)).permutation(len(yall))[:n])
            return Xall[pick], yall[pick]
        return Xall, yall

    def main_reference(self, X: np.ndarray, y: np.ndarray, epochs: int) -> dict[str, Any]:
        """The keyword arguments of the reference run the main run is judged against
        (calibration.train_reference), trained from the student's initial seed and batch order."""
        return dict(X=X, y=y, X_test=self.dataset.X_test, y_test=self.dataset.y_test, sizes=self.sizes,
                    activation=self.activation, epochs=epochs, batch_size=int(self.cfg.batch_size),
                    lr=float(self.cfg.lr), init_seed=self.s(1), train_seed=self.s(2),
                    cache_key=(self.dataset.name, len(self.dataset.y_train), len(self.dataset.y_test), self.seed))

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


def warm_reference_runs(rubric: Any, dataset: Any, seed: int) -> None:
    """Train the reference runs a submission's main and tiny experiments are judged against into
    calibration's per-process cache, as a submission that trains at full speed asks for them.

    A process that forks one grading process per submission (grader.forkserver) calls this
    once, so a batch trains them once, not once per submission. The arguments are built by
    the same functions the experiments use: the same data, seeds and sizes, so the same result.
    """
    session = TrainingSession(None, rubric, dataset, seed, {})
    n, epochs = min(int(session.cfg.n_train), len(dataset.y_train)), int(session.cfg.epochs)
    cal.train_reference(**session.main_reference(*session.main_data(n), epochs))
    cal.train_reference(**experiments.tiny_reference(session, *experiments.tiny_data(session)))
