"""What dropout_param["p"] means in the year being graded: the keep probability (2018 on) or
the drop probability (the 2017 handout), as the rubric's [conventions] dropout_p says, or,
with "detect", as the submission's own dropout_forward behaves.

The checks ask a `DropoutConvention` for the keep probability a `p` stands for, and for the
`p` that stands for a keep probability: one expression serves both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.framework import CheckFailure
from grader.sandbox.errors import StudentFailure

YEARS = {"keep": "2018 on", "drop": "the 2017 handout"}
DOING = {"keep": "KEEPING", "drop": "DROPPING"}


@dataclass(frozen=True)
class DropoutConvention:
    means: str   # "keep" or "drop": what p is the probability of
    how: str     # "set by the rubric" or "detected from your dropout_forward"

    def keep(self, p: float) -> float:
        """The keep probability `p` stands for; also the `p` standing for keep probability p."""
        return p if self.means == "keep" else 1.0 - p

    p_for = keep

    @property
    def fact(self) -> str:
        """One line for the report: which convention was graded, and why."""
        return (f"dropout graded with p = the {self.means.upper()} probability "
                f"({YEARS[self.means]}), {self.how}")

    def confusion(self, p: float, share: float) -> str:
        """The hint when dropout_forward follows the other convention."""
        other = "drop" if self.means == "keep" else "keep"
        return (f"dropout_forward keeps {share:.0%} of the units with p = {p}: it treats p as the "
                f"probability of {DOING[other]} a unit ({YEARS[other]}), but this rubric grades p "
                f"as the probability of {DOING[self.means]} it ({YEARS[self.means]}); "
                f"if your course's year says otherwise, the instructor sets [conventions] "
                f'dropout_p = "{other}" (or "detect") in the rubric')


def detect(cs231n: Any) -> str:
    """"keep" or "drop": the share of units dropout_forward keeps at p = 0.9 (0.9 or 0.1).
    A dropout_forward that cannot run counts as "keep" (its own checks report why)."""
    x = np.ones((50, 40))
    try:
        out, _ = cs231n.forward("dropout_forward", x, {"p": 0.9, "mode": "train", "seed": 0})
        share = float(np.mean(np.asarray(out, dtype=np.float64) != 0))
    except (StudentFailure, CheckFailure):
        return "keep"
    return "drop" if share < 0.5 else "keep"


def resolve(setting: str, cs231n: Any) -> DropoutConvention:
    """The rubric's dropout_p setting ("keep", "drop" or "detect") for this submission."""
    if setting == "detect":
        return DropoutConvention(detect(cs231n), "detected from your dropout_forward")
    return DropoutConvention(setting, "set by the rubric")
