"""The figures of a class, computed from its submission records and nothing else.

Every number the class report shows (HTML and class.json) is a field of
`ClassFigures`, built by `class_figures` from `SubmissionRecord`s: the same
records the gradebook rows come from. Check statuses are counted as the
strings they are, so a status added later (say, "timeout") gets its own
column instead of being folded into "failed".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from grader.causes import group_causes
from grader.records import GRADED, SubmissionRecord
from grader.vocabulary import TAGS

N_EXAMPLES = 3  # example submissions shown per diagnosis
SCORE_BINS = 10  # score histogram: 0-10%, ..., 90-100%
PROBLEM_STATUSES = ("timeout", "crashed", "grader-error", "bad-input")


@dataclass
class Spread:
    """mean, standard deviation (population), min, median, max of some numbers."""

    n: int = 0
    mean: float = 0.0
    std: float = 0.0
    min: float = 0.0
    median: float = 0.0
    max: float = 0.0

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        if not values:
            return cls()
        return cls(n=len(values), mean=statistics.fmean(values), std=statistics.pstdev(values),
                   min=min(values), median=statistics.median(values), max=max(values))


@dataclass
class ComponentFigure:
    tag: str
    max_score: float
    score: Spread  # over graded submissions


@dataclass
class CheckFigure:
    """One check across the class: how many submissions ended in each status."""

    name: str
    component: str
    max_score: float
    statuses: dict[str, int]  # status -> submissions, any status string
    total: int
    title: str = ""  # the check's human title ("" in records written before titles existed)

    @property
    def pass_rate(self) -> float:
        return self.statuses.get("passed", 0) / self.total if self.total else 0.0


@dataclass
class DiagnosisFigure:
    """A root cause across the class: each submission counts once, under its root causes only
    (a relu-mask that makes training fail is not counted again as no-learning)."""

    id: str
    hint: str
    submissions: int  # how many submissions have it as a root cause
    examples: list[str]  # the first N_EXAMPLES of them, by name
    symptoms: list[str] = field(default_factory=list)  # what it made fail in them ("no-learning")


@dataclass
class ProblemFigure:
    submission: str
    status: str
    error: str


@dataclass
class ClassFigures:
    n_submissions: int
    n_graded: int
    max_score: float
    percent: Spread  # total score in percent, over graded submissions
    histogram: list[int]  # SCORE_BINS counts of graded percents (the last bin includes 100)
    components: list[ComponentFigure]
    checks: list[CheckFigure]  # worst pass rate first
    diagnoses: list[DiagnosisFigure]  # most submissions first
    runtime: Spread  # seconds per submission, all submissions
    runtime_total_s: float
    problems: list[ProblemFigure]  # timed out, crashed, grader error, bad input
    identical: list[list[str]]  # groups of submissions with the same normalised graded files
    statuses: dict[str, int] = field(default_factory=dict)  # record status -> submissions
    submissions: list[dict[str, Any]] = field(default_factory=list)  # one line per submission

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for check, raw in zip(self.checks, data["checks"]):
            raw["pass_rate"] = round(check.pass_rate, 6)
        return data


def _percent(record: SubmissionRecord) -> float:
    return 100.0 * record.score / record.max_score if record.max_score else 0.0


def class_figures(records: list[SubmissionRecord]) -> ClassFigures:
    """All figures of the class report from ``records`` (any order; output is sorted)."""
    records = sorted(records, key=lambda r: r.submission)
    graded = [r for r in records if r.graded]
    percents = [_percent(r) for r in graded]
    histogram = np.histogram(np.clip(percents, 0, 100), bins=SCORE_BINS, range=(0, 100))[0] if percents else \
        np.zeros(SCORE_BINS, dtype=int)
    max_scores = Counter(round(r.max_score, 6) for r in graded)
    return ClassFigures(
        n_submissions=len(records), n_graded=len(graded),
        max_score=max_scores.most_common(1)[0][0] if max_scores else 0.0,
        percent=Spread.of(percents), histogram=[int(c) for c in histogram],
        components=_components(graded), checks=_checks(graded), diagnoses=_diagnoses(graded),
        runtime=Spread.of([r.seconds for r in records]),
        runtime_total_s=round(sum(r.seconds for r in records), 2),
        problems=[ProblemFigure(r.submission, r.status, r.error) for r in records if r.status != GRADED],
        identical=_identical(records),
        statuses=dict(sorted(Counter(r.status for r in records).items())),
        submissions=[{"submission": r.submission, "status": r.status, "percent": round(_percent(r), 2),
                      "seconds": r.seconds, "diagnoses": r.diagnoses(limit=5)} for r in records],
    )


def _components(graded: list[SubmissionRecord]) -> list[ComponentFigure]:
    scores: dict[str, list[float]] = defaultdict(list)
    most: dict[str, float] = {}
    for record in graded:
        for tag, (got, top) in record.by_tag.items():
            scores[tag].append(got)
            most[tag] = max(most.get(tag, 0.0), top)
    order = {tag: i for i, tag in enumerate(TAGS)}  # the rubric's catalog order, then others by name
    return [ComponentFigure(tag, most[tag], Spread.of(scores[tag]))
            for tag in sorted(scores, key=lambda t: (order.get(t, len(order)), t))]


def _checks(graded: list[SubmissionRecord]) -> list[CheckFigure]:
    figures: dict[str, CheckFigure] = {}
    for record in graded:
        for check in record.result.checks:  # type: ignore[union-attr]
            key = f"{check.number} {check.name}".strip()
            fig = figures.get(key)
            if fig is None:
                fig = figures[key] = CheckFigure(key, check.tags[0] if check.tags else "other",
                                                 check.max_score, {}, 0)
            fig.title = fig.title or check.title
            fig.statuses[check.status] = fig.statuses.get(check.status, 0) + 1
            fig.total += 1
    return sorted(figures.values(), key=lambda f: (f.pass_rate, f.name))


def _diagnoses(graded: list[SubmissionRecord]) -> list[DiagnosisFigure]:
    """Submissions per root cause (grader.causes): the class report counts bugs, not what they do."""
    hits: dict[str, list[str]] = defaultdict(list)
    hints: dict[str, str] = {}
    symptoms: dict[str, list[str]] = defaultdict(list)
    for record in graded:
        seen: set[str] = set()
        for cause in group_causes(record.result.checks):  # type: ignore[union-attr]
            if cause.diagnosis is None or cause.explained_by is not None:
                continue
            hints.setdefault(cause.id, cause.diagnosis.hint)
            for symptom in cause.symptoms:
                if symptom.id not in symptoms[cause.id]:
                    symptoms[cause.id].append(symptom.id)
            if cause.id not in seen:
                seen.add(cause.id)
                hits[cause.id].append(record.submission)
    ranked = sorted(hits.items(), key=lambda item: (-len(item[1]), item[0]))
    return [DiagnosisFigure(d, hints[d], len(subs), subs[:N_EXAMPLES], symptoms[d]) for d, subs in ranked]


def _identical(records: list[SubmissionRecord]) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.fingerprint:
            groups[record.fingerprint].append(record.submission)
    return sorted((names for names in groups.values() if len(names) > 1), key=lambda g: (-len(g), g))
