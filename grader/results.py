"""The results model: every check outcome and the whole grading run, as plain dataclasses.

A grading failure is data, not an exception: a check that could not run, a
submission that does not import and a grader that broke all end up as
`CheckResult`s inside a `GradingResult`, which every report writer renders.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

# "not-assigned": the release graded does not ask for what the check tests (no points
# either way, left out of the maximum; see checks.framework.not_assigned).
Status = Literal["passed", "failed", "error", "skipped", "not-assigned"]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


@dataclass(frozen=True)
class Diagnosis:
    """One named bug: an id from docs/diagnoses.md and a sentence the student can act on."""

    id: str
    hint: str


@dataclass(frozen=True)
class Frame:
    """One line of the student's code on the way to an exception: `file` relative to the
    submission folder, `line` number, the `function` it is in and the line's `code`."""

    file: str
    line: int
    function: str = ""
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" + (f", in {self.function}" if self.function else "")
        return f"{where}: {self.code}" if self.code else where


@dataclass
class CheckResult:
    """The outcome of one check (one pytest test) of a submission.

    `score` is in [0, max_score]. `example` is the smallest failing input
    Hypothesis found (already rendered as text), `output` the student's captured
    stdout/stderr for the failing call, truncated. `name` is the pytest id (rubrics
    and instructors use it); `title` the short sentence a student reads.
    `beyond_course`: non-empty for a check of what the course's own tests do not test
    (the reason, a clause a student reads); reports show these in their own group.
    `course_misses`: set on a failed scored check whose bug the course's own tests miss
    (a sentence the report shows).
    `frames`: when the student's code raised, its own frames, outermost first (the last
    is the line that raised); grader and library frames are left out.
    """

    name: str
    max_score: float
    score: float = 0.0
    status: Status = "passed"
    tags: list[str] = field(default_factory=list)
    visibility: Visibility = "visible"
    diagnoses: list[Diagnosis] = field(default_factory=list)
    message: str = ""
    example: str = ""
    output: str = ""
    duration_s: float = 0.0
    number: str = ""
    title: str = ""
    beyond_course: str = ""
    course_misses: str = ""
    frames: list[Frame] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def label(self) -> str:
        """What a person reads as the check's name: its title, or its id if it has none."""
        return self.title or self.name

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        """The inverse of ``dataclasses.asdict`` (JSON-loaded)."""
        fields = dict(data)
        fields["diagnoses"] = [Diagnosis(**d) for d in fields.get("diagnoses", [])]
        fields["frames"] = [Frame(**f) for f in fields.get("frames", [])]
        return cls(**fields)


@dataclass
class NotAssignedPart:
    """A component the graded release does not assign: its checks did not run and its
    `points` (from the rubric) are not part of the maximum."""

    component: str
    reason: str
    points: float = 0.0


@dataclass
class GradingResult:
    """A whole grading run of one submission.

    `release` / `release_why`: the release of the assignment graded and why (the facts
    line: "graded as CS231n 2022 assignment1: layers.py has no batchnorm_forward");
    empty for a profile without releases. `not_assigned`: the components that release
    does not assign (every report lists them). `max_score` is the sum of the graded
    checks' points, i.e. the assigned components' points.
    """

    submission: str
    checks: list[CheckResult] = field(default_factory=list)
    execution_time_s: float = 0.0
    rubric: str = ""
    seed: int = 0
    # Set when the grader itself failed (exit code 3); the score is then 0.
    grader_error: str = ""
    # Report data for plots: learning curve, confusion matrix, per-class counts.
    artifacts: dict[str, Any] = field(default_factory=dict)
    release: str = ""
    release_why: str = ""
    not_assigned: list[NotAssignedPart] = field(default_factory=list)

    @property
    def score(self) -> float:
        if self.grader_error:
            return 0.0
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def by_tag(self) -> dict[str, tuple[float, float]]:
        """(score, max_score) per component tag; a check with several tags counts in its first."""
        totals: dict[str, tuple[float, float]] = {}
        for check in self.checks:
            tag = check.tags[0] if check.tags else "other"
            got, most = totals.get(tag, (0.0, 0.0))
            totals[tag] = (got + check.score, most + check.max_score)
        return totals

    def top_diagnoses(self, limit: int = 3) -> list[str]:
        """The root causes' diagnosis ids, bug before symptom (see grader.causes): a
        `relu-mask` that makes training fail ranks above the `no-learning` it causes."""
        from grader.causes import root_cause_ids

        return root_cause_ids(self.checks, limit)

    @classmethod
    def from_grader_error(cls, submission: str, reason: str, **kwargs: Any) -> "GradingResult":
        """The report of a run in which the grader itself failed: score 0, with the reason."""
        return cls(submission=submission, grader_error=reason, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
