"""What each check costs, as measured: the two check sessions of a run are balanced with it.

A profile's check folder may carry ``costs.json``, written by ``bench/check_costs.py``: the
seconds each check took on the profile's correct solution, in a run's two sessions, under
each budget it was measured with (the self-check's and the profile's own rubric)::

    {"budgets": [{"hypothesis_max_examples": 15, "n_train": 1000, "epochs": 3,
                  "seconds": {"test_linear.py::test_backward": 0.0121, ...}}, ...]}

A run takes the measured budget nearest its rubric's; a training check's seconds are scaled
by the run's images x epochs over the measured ones. A check the file does not name weighs
the median of those it does. Without the file (or with a file that cannot be read) the
sessions are balanced by count as before (grader.checks.shards.shard_of). Whatever the file
says, the halves depend on the checks and the rubric only, never on this machine's timing:
the file is data shipped with the checks.

The course profiles ship one (their training is driven step by step by the grader; CS231n's
run ~0.13 s faster split by cost); the default profile does not: its training runs in the
worker, overlapping the other session's checks, which the seconds per check do not capture,
and its run measured ~0.1 s slower split by cost than by count (interleaved A/B).
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

#: The file a check folder keeps its measured costs in.
COSTS_FILE = "costs.json"
#: Components whose checks train a network (their cost grows with images x epochs).
TRAINING_TAGS = frozenset({"training", "performance"})


@dataclass(frozen=True)
class Budget:
    """What a run spends its checks' time on: examples per property, images x epochs."""

    max_examples: int
    workload: float  # n_train x epochs of the training run

    @classmethod
    def of(cls, rubric: Any) -> "Budget":
        training = rubric.training
        return cls(int(rubric.hypothesis_max_examples), float(training.n_train) * float(training.epochs))

    def distance(self, other: "Budget") -> float:
        """How far apart two budgets are (ratios, so 15 vs 30 examples is as far as 30 vs 60)."""
        return (abs(math.log(max(self.max_examples, 1) / max(other.max_examples, 1)))
                + abs(math.log(max(self.workload, 1.0) / max(other.workload, 1.0))))


@dataclass(frozen=True)
class MeasuredCosts:
    """Each check's seconds (by check name) on the correct solution under `budget`."""

    budget: Budget
    seconds: Mapping[str, float]


def load_costs(checks_dir: Path) -> tuple[MeasuredCosts, ...]:
    """The budgets measured for `checks_dir` (its costs.json); () when there is none or it
    cannot be read: the costs only balance the sessions, so a bad file costs speed, never a grade."""
    try:
        raw = json.loads((checks_dir / COSTS_FILE).read_text())
        return tuple(MeasuredCosts(Budget(int(entry["hypothesis_max_examples"]),
                                          float(entry["n_train"]) * float(entry["epochs"])),
                                   {str(k): float(v) for k, v in entry["seconds"].items()
                                    if math.isfinite(float(v)) and float(v) >= 0})
                     for entry in raw["budgets"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ()


def nearest(measured: Sequence[MeasuredCosts], budget: Budget) -> MeasuredCosts | None:
    """The measurement whose budget is nearest `budget` (ties: the first), or None."""
    usable = [m for m in measured if m.seconds]
    return min(usable, key=lambda m: budget.distance(m.budget)) if usable else None


def check_weights(names: Sequence[str], tags: Sequence[str], budget: Budget,
                  measured: Sequence[MeasuredCosts]) -> list[float] | None:
    """The measured weight of each check (`names[i]`, component `tags[i]`) for balancing the
    sessions: its seconds under the nearest budget, a training check's scaled to `budget`'s
    images x epochs; None when nothing was measured (grader.checks.shards then weighs checks
    by count)."""
    costs = nearest(measured, budget)
    if costs is None:
        return None
    unknown = statistics.median(costs.seconds.values())
    scale = budget.workload / max(costs.budget.workload, 1.0)
    return [costs.seconds.get(name, unknown) * (scale if tag in TRAINING_TAGS else 1.0)
            for name, tag in zip(names, tags)]
