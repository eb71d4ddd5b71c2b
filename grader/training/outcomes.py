"""What the training experiments measured, as plain dataclasses, and the workload `Plan` they fit in."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grader.training import calibration as cal
from grader.training.loop import LoopResult
from grader.training.stats import CollapseStats
from grader.training.steps import StepFit


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
