"""The report's view model: what every writer renders (plain frozen dataclasses).

A `ReportView` is built once from a `GradingResult` (grader/reports/build.py), so all
formats agree on which checks a student may see and how each cause is told.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.causes import fix, headline
from grader.reports.labels import BEYOND_HEADING
from grader.reports.sanitize import number, points


@dataclass(frozen=True)
class DiagnosisView:
    id: str
    hint: str


@dataclass(frozen=True)
class FrameView:
    """One line of the student's code on the way to an exception, cleaned for any format."""

    file: str
    line: int
    function: str
    code: str


#: How many of the innermost student frames a report shows (`-v` shows every one sent).
FRAMES_SHOWN = 3


def where_text(check: "CheckView | CauseView | SymptomView", limit: int | None = FRAMES_SHOWN, more: str = "") -> str:
    """The student's frames as Python prints them, innermost last:

        network.py, line 80, in train
            opt.step()

    `limit` keeps the innermost ones (None: all), saying how many earlier calls it left out
    (and `more`, how to see them, where the format has a way)."""
    frames = check.frames if limit is None else check.frames[-limit:]
    lines = []
    if len(frames) < len(check.frames):
        left = len(check.frames) - len(frames)
        lines.append(f"({left} earlier call{'s' if left > 1 else ''} in your code not shown{more})")
    for f in frames:
        lines.append(f"{f.file}, line {f.line}" + (f", in {f.function}" if f.function else ""))
        if f.code:
            lines.append(f"    {f.code}")
    return "\n".join(lines)


@dataclass(frozen=True)
class CheckView:
    """One check with every string cleaned and truncated, ready for any format."""

    index: int
    number: str
    name: str
    component: str
    tags: tuple[str, ...]
    status: str
    score: float
    max_score: float
    visibility: str
    diagnoses: tuple[DiagnosisView, ...]
    message: str
    example: str
    output: str
    duration_s: float
    title: str = ""  # the check's human title; `name` is its pytest id (rubrics key on it)
    beyond_course: str = ""  # why the course's own tests do not test this ("" = they do)
    course_misses: str = ""  # a failed check: the sentence saying the course's tests miss it
    # Where the student's code raised: its own frames, outermost first, each cleaned.
    frames: tuple[FrameView, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def label(self) -> str:
        """What a person reads as the check's name: its title, or its id (`name`) if it has none."""
        return self.title or self.name

    @property
    def gradescope_status(self) -> str:
        """Gradescope knows only passed/failed: errors fail; a skip passes only with full marks;
        a not-assigned check (0 of 0 points) passes, its output saying why."""
        if self.status in ("passed", "not-assigned"):
            return "passed"
        if self.status == "skipped" and self.score >= self.max_score:
            return "passed"
        return "failed"


@dataclass(frozen=True)
class ComponentView:
    tag: str
    score: float
    max_score: float
    passed: int
    total: int


@dataclass(frozen=True)
class SymptomView:
    """What a root cause does elsewhere ("no-learning" in checks 92 and 102), told under it."""

    id: str
    headline: str
    checks: tuple[CheckView, ...]
    probable: bool  # inferred (only training checks show it), not quoted by its own text
    card: int = 0  # a probable symptom keeps its own card (its number); 0 = told only here
    # Where the student's code raised in its checks (a shape error blamed on the array's
    # producer trips elsewhere): the frames of the first of them that has any.
    frames: tuple[FrameView, ...] = ()


@dataclass(frozen=True)
class CauseView:
    """One card: a root cause, the checks it failed, its evidence once and the fix once.

    `evidence` is the first check's message without the sentence the headline already says
    (the values, shapes and where); `fix` says what to change. `symptoms`: what this cause
    makes other checks do; `caused_by`: for a probable symptom, the card of its root.
    """

    number: int
    id: str
    headline: str
    fix: str
    status: str
    checks: tuple[CheckView, ...]
    evidence: str
    example: str
    output: str
    course_misses: str
    symptoms: tuple[SymptomView, ...] = ()
    caused_by: tuple[int, str] | None = None  # (card number, diagnosis id)
    named: bool = True  # False: the checks failed without naming a diagnosis (id is their status)
    # Where the student's code raised: the frames of the card's first check that has any.
    frames: tuple[FrameView, ...] = ()

    @property
    def first(self) -> CheckView:
        return self.checks[0]

    @property
    def summary(self) -> str:
        """One phrase for a summary line: the headline, or the fix when the hint is all advice."""
        return self.headline or self.fix.rstrip(".")

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    @property
    def n_checks(self) -> int:
        """Its checks and its certain symptoms' (the ones told only on this card)."""
        return len(self.checks) + sum(len(s.checks) for s in self.symptoms if not s.card)


@dataclass
class ReportView:
    submission: str
    rubric: str
    seed: int
    execution_time_s: float
    grader_error: str
    score: float
    max_score: float
    checks: list[CheckView]  # every check, in order
    shown: list[CheckView]  # the ones the student may see now
    withheld: list[CheckView]
    components: list[ComponentView]  # over shown checks
    top_diagnoses: list[tuple[DiagnosisView, int]]  # the top root causes, (diagnosis, checks)
    artifacts: dict[str, Any] = field(default_factory=dict)
    # Artifact keys the run produced but this view leaves out with the withheld
    # training checks ("learning_curve.reference" for the reference's curve).
    withheld_artifacts: tuple[str, ...] = ()
    # The release graded and why ("" for a profile without releases), and what it does not
    # assign: (component or check title, reason, points left out of the maximum).
    release: str = ""
    release_why: str = ""
    not_assigned: list[tuple[str, str, float]] = field(default_factory=list)
    # The attention checks as ranked root causes: one card each (see grader.causes).
    causes: list[CauseView] = field(default_factory=list)
    beyond_causes: list[CauseView] = field(default_factory=list)  # the same for `beyond` checks

    @property
    def top_causes(self) -> list[CauseView]:
        """The most likely problems: the first three named causes no other card explains."""
        return [c for c in self.causes if c.caused_by is None and c.named][:3]

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def shown_score(self) -> float:
        return 0.0 if self.grader_error else sum(c.score for c in self.shown)

    @property
    def shown_max_score(self) -> float:
        return sum(c.max_score for c in self.shown)

    @property
    def shown_percent(self) -> float:
        """The percentage the student reads: over the checks shown (all of them when none is
        withheld). `--fail-under` compares this figure, never one that counts withheld checks."""
        return 100.0 * self.shown_score / self.shown_max_score if self.shown_max_score else 0.0

    @property
    def attention(self) -> list[CheckView]:
        """Shown checks of the course's own scope that did not pass, in order: the ones a
        report explains (beyond-course checks have their own group, `beyond`)."""
        return [c for c in self.shown if not c.passed and c.status != "not-assigned"
                and not c.beyond_course]

    @property
    def beyond(self) -> list[CheckView]:
        """Shown checks of what the course's own tests do not test, in order."""
        return [c for c in self.shown if c.beyond_course and c.status != "not-assigned"]

    @property
    def beyond_heading(self) -> str:
        """The beyond-course group's heading, saying whether it costs points."""
        scored = sum(c.max_score for c in self.beyond)
        return BEYOND_HEADING + (f" (worth {points(scored)} points)" if scored else ": no points")

    @property
    def accuracy(self) -> float | None:
        return _optional_fraction(self.artifacts.get("test_accuracy"))

    @property
    def reference_accuracy(self) -> float | None:
        return _optional_fraction(self.artifacts.get("reference_accuracy"))

    @property
    def per_class_rows(self) -> list[tuple[str, list[float]]]:
        """("Recall", 10 fractions) and ("Precision", ...) from the training artifacts, if valid.

        Recall 0 for a digit means the network never gets that digit right,
        often because it never predicts it: the row a student reads first.
        """
        rows = []
        for label, key in (("Recall", "per_class_recall"), ("Precision", "per_class_precision")):
            values = self.artifacts.get(key)
            if isinstance(values, list) and values:
                fractions = [_optional_fraction(v) for v in values]
                if all(f is not None and 0.0 <= f <= 1.0 for f in fractions):
                    rows.append((label, [float(f) for f in fractions]))  # type: ignore[arg-type]
        return rows

    def withheld_note(self, *, about_total: bool = True, amount: Callable[[float], str] = points) -> str:
        """One sentence on checks the student cannot see yet, or ''.

        `about_total=False` drops the remark on the total, for reports (Gradescope)
        whose platform shows its own total; `amount` formats the points withheld.
        """
        if not self.withheld:
            return ""
        n = len(self.withheld)
        worth = amount(sum(c.max_score for c in self.withheld))
        reasons = _withheld_reasons(self.withheld)
        sentence = (
            f"{n} more check{'s' if n != 1 else ''} (worth {worth} points) "
            f"{'are' if n != 1 else 'is'} not shown here ({'; '.join(reasons)})"
        )
        return sentence + ("; the score above counts only the checks shown." if about_total else ".")


_WITHHELD_REASON = {
    "after_due_date": "shown after the due date",
    "after_published": "shown when grades are published",
}


def _optional_fraction(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _withheld_reasons(checks: list[CheckView]) -> list[str]:
    return sorted({_WITHHELD_REASON.get(c.visibility, "hidden") for c in checks})
