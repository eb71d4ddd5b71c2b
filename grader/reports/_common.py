"""What every report writer shares: sanitising untrusted text, visibility, and a view of a result.

Every writer renders the same `ReportView`, built once from a `GradingResult`,
so all formats agree on which checks a student may see, how scores are
rounded and how student-controlled text (messages, examples, captured output,
the submission name) is cleaned and truncated. Format-specific escaping
(XML, HTML, Markdown, rich markup) happens in each writer on top of this.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.causes import Cause, fix, group_causes, headline, normalised, observation_first, tier
from grader.results import CheckResult, GradingResult
from grader.scoring import cents_text

# Limits on student-controlled text. A submission that prints megabytes, or a
# Hypothesis example with a huge array, must not produce a report that
# Gradescope refuses or a CI log nobody can scroll through.
OUTPUT_LIMIT = 4000
OUTPUT_LINES = 80
EXAMPLE_LIMIT = 2000
EXAMPLE_LINES = 40
MESSAGE_LIMIT = 1000
MESSAGE_LINES = 20
NAME_LIMIT = 200
GRADER_ERROR_LIMIT = 2000

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

# Terminal escape sequences: CSI (colours, cursor moves, clear screen), OSC
# (window titles, hyperlinks), DCS/SOS/PM/APC strings, two-byte escapes, and
# the 8-bit CSI. Student output is shown in terminals and CI logs, where
# these could rewrite or hide what the report says.
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                 # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?    # OSC ... BEL or ST
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?         # DCS / SOS / PM / APC ... ST
    | \x1b[@-Z\\-_]                         # other two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]                 # 8-bit CSI
    """,
    re.VERBOSE,
)
# C0/C1 controls except tab and newline; DEL; Unicode non-characters that XML
# forbids; bidi overrides and isolates, which can make text read differently
# from what it is ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> str:
    """Untrusted text made safe to embed anywhere: valid UTF-8, no escapes, no controls.

    Newlines and tabs survive; carriage returns become newlines (progress bars
    printed with \\r would otherwise overwrite lines in terminals).
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    # Lone surrogates (from surrogateescape decoding of student bytes) cannot be
    # encoded as UTF-8 and would make the report writer itself crash.
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text)
    return text


def truncate(text: str, limit: int, max_lines: int | None = None) -> str:
    """Shorten `text` to about `limit` characters and `max_lines` lines, saying what was cut.

    Keeps the head and the tail: the start of an output says what the code was
    doing, the end usually holds the traceback.
    """
    lines = text.split("\n")
    too_many_lines = max_lines is not None and len(lines) > max_lines
    if len(text) <= limit and not too_many_lines:
        return text
    n_lines = max_lines if max_lines is not None else len(lines)
    head_lines = max(1, (n_lines * 2) // 3)
    tail_lines = max(1, n_lines - head_lines)
    head_chars = (limit * 2) // 3
    tail_chars = limit - head_chars
    # Each end is limited by both budgets; since either the lines or the
    # characters exceed theirs, head and tail never overlap.
    head = "\n".join(lines[:head_lines])[:head_chars]
    tail = "\n".join(lines[-tail_lines:])[-tail_chars:] if tail_chars else ""
    # Cut at line boundaries when that loses at most half of a budget.
    cut = head.rfind("\n")
    if cut >= len(head) // 2 and len(head) == head_chars:
        head = head[:cut]
    cut = tail.find("\n")
    if 0 <= cut <= len(tail) // 2 and len(tail) == tail_chars:
        tail = tail[cut + 1:]
    omitted = len(text) - len(head) - len(tail)
    omitted_lines = text.count("\n") - head.count("\n") - tail.count("\n")
    what = f"{omitted} characters" + (f" in {omitted_lines} lines" if omitted_lines > 1 else "")
    # A label cut out ("expected:") would leave what follows it under the label before:
    # the marker names it, so two arrays never read as one.
    labels = _LABEL.findall(text[len(head):len(text) - len(tail)])
    if labels:
        what += ", with " + ", ".join(f"the start of '{label}:'" for label in list(dict.fromkeys(labels))[:3])
    return f"{head}\n... [{what} omitted] ...\n{tail}"


_LABEL = re.compile(r"(?m)^[ \t]*([A-Za-z][A-Za-z_ ]{0,30}):(?:[ \t]|$)")


def clean_line(value: Any, limit: int = NAME_LIMIT) -> str:
    """Untrusted text for a single-line slot (a name, a table cell, an attribute)."""
    return truncate(" ".join(clean(value).split()), limit)


def number(value: Any) -> float:
    """A finite float, or 0.0: NaN or inf in a score must not break JSON or sums."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(x):
        return 0.0
    return x + 0.0  # turns -0.0 into 0.0


def points(value: float) -> str:
    """Points for humans, always with 2 decimals (`2.00`, `1.50`, `87.10`): the one precision
    every report, the CLI's summary and `grader check` print a score in (scoring.cents_text)."""
    return cents_text(number(value))


def round_score(value: Any) -> float:
    """Scores in machine-readable reports: 4 decimals hide float noise such as 0.30000000000000004."""
    return round(number(value), 4) + 0.0


def is_shown(
    check: CheckResult, *, after_due_date: bool, published: bool, show_hidden: bool = False
) -> bool:
    """Whether a student may see this check now (Gradescope's visibility rules, applied locally).

    Unknown visibility values count as hidden: failing closed never leaks a test.
    """
    if show_hidden:
        return True
    vis = check.visibility
    return (
        vis == "visible"
        or (vis == "after_due_date" and after_due_date)
        or (vis == "after_published" and published)
    )


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


def not_assigned_lines(view: ReportView) -> list[str]:
    """One line per part the graded release does not assign ("batchnorm: <reason>"), then
    per check ended by not_assigned(...) ("<title>: <reason>")."""
    lines = [f"{part}: {reason}" if reason else part for part, reason, _ in view.not_assigned]
    lines += [f"{c.label}: {c.message}" if c.message else c.label
              for c in view.shown if c.status == "not-assigned"]
    return lines


# "<...MyTorch object at 0x7fb4c4c65210>" in a Hypothesis example: the address changes every
# run and tells a student nothing.
_OBJECT_ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+>")
# "    mytorch=<grader.profiles.mytorch_hw1p1.adapters.MyTorch>," : the grader's own fixture in
# the example's argument list is not input the student can use; the line goes.
# (the default profile's fixture prints as its own name: "    student=student,").
_GRADER_ARGUMENT = re.compile(r"^[ \t]*(?:\w+=<grader\.[\w.]+(?: object)?>|student=student),?[ \t]*\n", re.MULTILINE)


def _example_text(example: str) -> str:
    return _GRADER_ARGUMENT.sub("", _OBJECT_ADDRESS.sub(">", clean(example))).strip("\n")


def _check_view(index: int, check: CheckResult) -> CheckView:
    tags = tuple(clean_line(t, 40) for t in (check.tags or []))
    return CheckView(
        index=index,
        number=clean_line(check.number, 40) or str(index),
        name=clean_line(check.name) or f"check {index}",
        component=tags[0] if tags else "other",
        tags=tags,
        status=check.status if check.status in STATUS_LABEL else "error",
        score=number(check.score),
        max_score=number(check.max_score),
        visibility=check.visibility if check.visibility in VISIBILITIES else "hidden",
        diagnoses=tuple(
            DiagnosisView(clean_line(d.id, 60), truncate(clean(d.hint), MESSAGE_LIMIT, MESSAGE_LINES))
            for d in (check.diagnoses or [])
        ),
        message=truncate(clean(check.message).strip("\n"), MESSAGE_LIMIT, MESSAGE_LINES),
        example=truncate(_example_text(check.example), EXAMPLE_LIMIT, EXAMPLE_LINES),
        output=truncate(clean(check.output).rstrip("\n"), OUTPUT_LIMIT, OUTPUT_LINES),
        duration_s=number(check.duration_s),
        title=clean_line(check.title),
        beyond_course=clean_line(getattr(check, "beyond_course", "")),
        course_misses=truncate(clean(getattr(check, "course_misses", "")), MESSAGE_LIMIT, MESSAGE_LINES),
        frames=_frame_views(getattr(check, "frames", None) or []),
    )


def _frame_views(frames: list[Any]) -> tuple[FrameView, ...]:
    """The student's frames, each part cleaned of control characters and bounded."""
    views = []
    for f in frames[-12:]:
        views.append(FrameView(clean_line(getattr(f, "file", ""), 120) or "?", int(number(getattr(f, "line", 0))),
                               clean_line(getattr(f, "function", ""), 60),
                               clean_line(getattr(f, "code", ""), 160)))
    return tuple(views)


def summary_facts(view: "ReportView", quote: Callable[[str], str] = str,
                  figure: Callable[[float], str] | None = None) -> list[str]:
    """The one-line facts under the score: checks passed, accuracy, time, rubric, seed.

    `quote` formats the (user-supplied) rubric path for the writer's markup; `figure`
    writes a percentage or a number of seconds in the writer's precision (default: 1 decimal).
    """
    graded = [c for c in view.shown if c.status != "not-assigned"]
    facts = [f"{sum(c.passed for c in graded)} of {len(graded)} checks passed"]
    if view.accuracy is not None:
        acc = f"test accuracy {_percent(view.accuracy, figure)}"
        if view.reference_accuracy is not None:
            acc += f" (reference {_percent(view.reference_accuracy, figure)})"
        facts.append(acc)
    facts.append(f"time {figure(view.execution_time_s) if figure else f'{view.execution_time_s:.1f}'} s")
    facts += run_limit_facts(view.artifacts, {c.name: c.label for c in view.checks})
    # A profile's year conventions as graded (cs231n-fc: what dropout's p meant).
    conventions = view.artifacts.get("conventions")
    if isinstance(conventions, list):
        facts += [fact for fact in conventions if isinstance(fact, str)]
    if view.release:
        facts.append(f"graded as {view.release}" + (f": {view.release_why}" if view.release_why else ""))
    if view.rubric:
        facts.append(f"rubric {quote(view.rubric)}")
    facts.append(f"seed {view.seed}")
    return facts


def _percent(fraction: float, figure: Callable[[float], str] | None) -> str:
    return f"{figure(100 * fraction)}%" if figure else f"{fraction:.1%}"


def run_limit_facts(artifacts: dict[str, Any], titles: dict[str, str] | None = None) -> list[str]:
    """Facts about the run's own limits: the deadline reached, the student's output discarded.

    `titles` maps a check's pytest id to what a student reads (its title), so the flood note
    names checks the way the rest of the report does."""
    titles = titles or {}
    facts: list[str] = []
    deadline = artifacts.get("run_deadline")
    if isinstance(deadline, dict):
        facts.append(f"stopped at the run's {number(deadline.get('limit_s')):g} s limit during "
                     f"{clean_line(deadline.get('running'), 80)}; later checks not run")
    output = artifacts.get("student_output")
    if isinstance(output, dict) and number(output.get("discarded_bytes")) > 0:
        by_check = output.get("discarded_by_check")
        names = [clean_line(titles.get(str(name), name), 60) for name in by_check][:3] \
            if isinstance(by_check, dict) else []
        more = f" and {len(by_check) - 3} more" if isinstance(by_check, dict) and len(by_check) > 3 else ""
        facts.append(f"{_size(number(output.get('discarded_bytes')))} of your program's output discarded"
                     + (f" (in {', '.join(names)}{more})" if names else ""))
    return facts


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def build_view(
    result: GradingResult,
    *,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
) -> ReportView:
    """The cleaned, visibility-filtered view of `result` that every writer renders."""
    checks = [_check_view(i, c) for i, c in enumerate(result.checks, start=1)]
    flags = dict(after_due_date=after_due_date, published=published, show_hidden=show_hidden)
    shown = [v for v, c in zip(checks, result.checks) if is_shown(c, **flags)]
    withheld = [v for v, c in zip(checks, result.checks) if not is_shown(c, **flags)]

    components: dict[str, list[CheckView]] = {}
    for check in shown:
        if not check.beyond_course and check.status != "not-assigned":  # their own groups
            components.setdefault(check.component, []).append(check)
    component_views = [
        ComponentView(
            tag=tag,
            score=0.0 if result.grader_error else sum(c.score for c in group),
            max_score=sum(c.max_score for c in group),
            passed=sum(c.passed for c in group),
            total=len(group),
        )
        for tag, group in components.items()
    ]

    # The summary ranks the root causes among the checks shown, so it never names a bug found
    # only by a withheld check; beyond-course checks have their own group.
    attention = [c for c in shown if not c.beyond_course]
    causes = cause_views(attention)
    top = [c for c in causes if c.caused_by is None and c.named][:3]
    beyond_causes = cause_views([c for c in shown if c.beyond_course], start=len(causes) + 1)

    grader_error = truncate(clean(result.grader_error).strip(), GRADER_ERROR_LIMIT, 40)
    shown_artifacts = _shown_artifacts(result, withheld)
    return ReportView(
        submission=clean_line(result.submission) or "(unnamed submission)",
        rubric=clean_line(result.rubric, 80),
        seed=int(number(result.seed)),
        execution_time_s=number(result.execution_time_s),
        grader_error=grader_error,
        score=0.0 if grader_error else sum(c.score for c in checks),
        max_score=sum(c.max_score for c in checks),
        checks=checks,
        shown=shown,
        withheld=withheld,
        components=component_views,
        top_diagnoses=[(DiagnosisView(c.id, c.summary), c.n_checks) for c in top],
        artifacts=shown_artifacts,
        withheld_artifacts=_dropped_artifacts(result.artifacts, shown_artifacts),
        release=clean_line(getattr(result, "release", ""), 120),
        release_why=clean_line(getattr(result, "release_why", ""), 400),
        not_assigned=[(clean_line(part.component, 60), clean_line(part.reason, 400), number(part.points))
                      for part in getattr(result, "not_assigned", [])],
        causes=causes,
        beyond_causes=beyond_causes,
    )


#: How to fix a diagnosis whose hint only states what is wrong ("MLP.backward's dx differs
#: from the reference" is not a fix).
FIX_BY_ID = {
    "wrong-gradient": (
        "Work the smallest failing input out by hand (one sample, one feature): differentiate "
        "your forward and compare each gradient with what your backward returns; a backward must "
        "use the values its forward cached, with the upstream gradient multiplied in."),
    "wrong-forward": (
        "Work the smallest failing input out by hand from the definition and compare it with your "
        "forward one operation at a time (axis, keepdims, the order of the operations)."),
    "crash": (
        "Make the call that failed yourself (on the smallest failing input when there is one): the "
        "error names the operation; print the shapes of its operands and compare them with the "
        "contract's. An operand made elsewhere (a gradient, a layer's output) may be the wrong one."),
    "timeout": (
        "Make sure every loop ends, and replace Python loops over samples with whole-array NumPy "
        "operations."),
    "memory-limit": (
        "Do not build arrays larger than the batch needs (no N x N matrices, no copies per sample)."),
    "shape-mismatch": (
        "Print the shapes of each product's operands and compare them with the contract's shapes."),
    "input-mutation": (
        "Leave the arguments as they came: build a new array (np.maximum(x, 0), x * mask) or work "
        "on a copy (x = x.copy()) instead of assigning into x or using +=, -= on it."),
}
GENERIC_FIX = "Compare your code with the contract for this function (its shapes and formula)."


def cause_views(checks: list[CheckView], start: int = 1) -> list[CauseView]:
    """The failed `checks` as cards numbered from `start`, root causes first (grader.causes
    ranks them)."""
    causes = group_causes(checks)
    numbers = {id(c): i for i, c in enumerate(causes, start=start)}
    return [_cause_view(numbers[id(c)], c, numbers) for c in causes]


def _cause_view(number: int, cause: Cause[CheckView], numbers: dict[int, int]) -> CauseView:
    first = cause.first
    d = cause.diagnosis
    if d is None:  # failed without naming a diagnosis: the message says what happened
        lines = first.message.split("\n", 1)
        # "skipped: the network could not be built" under the id "skipped": said once.
        title = re.sub(rf"^{re.escape(first.status)}:\s*", "", lines[0], flags=re.I)
        evidence, todo = lines[1] if len(lines) > 1 else "", ""
    else:
        title, todo = headline(d.hint, d.id), fix(d.hint, d.id)
        evidence = _evidence(first, d, title)
        if not evidence and todo:
            # The message was the hint, all said by the headline and the fix; what the fix
            # starts with before any advice ("The contract requires (1,)") is what went wrong.
            evidence, todo = observation_first(todo)
    symptoms: dict[tuple[str, bool, int, str], list] = {}
    for s in cause.symptoms:
        card = numbers.get(id(s), 0)
        # Symptoms of one kind are one line ("no-learning in checks 92 and 102"); of the cause's
        # own kind, each keeps its line (TwoLayerNet's grads['b2'], FullyConnectedNet's ...).
        said = headline(s.diagnosis.hint, s.id) if s.diagnosis is not None and s.id == cause.id else ""
        key = (s.id, s.probable, card, said)
        symptoms.setdefault(key, [s, []])[1].extend(s.checks)
    root = cause.explained_by
    return CauseView(
        number=number, id=cause.id, headline=title,
        fix=todo or (FIX_BY_ID.get(cause.id, GENERIC_FIX) if d is not None else ""),
        status=first.status, checks=tuple(cause.checks), evidence=evidence,
        example=first.example, output=first.output,
        course_misses=first.course_misses,
        symptoms=tuple(SymptomView(key[0], headline(s.diagnosis.hint, s.id) if s.diagnosis else s.id,
                                   tuple(found), key[1], key[2],
                                   next((c.frames for c in found if c.frames), ()))
                       for key, (s, found) in symptoms.items()),
        caused_by=(numbers[id(root)], root.id) if root is not None and id(root) in numbers else None,
        named=d is not None,
        frames=next((c.frames for c in cause.checks if c.frames), ()),
    )


def _evidence(check: CheckView, diagnosis: DiagnosisView, title: str) -> str:
    """The check's message without what the card already says (what is left: the values got
    and expected, the shapes, where), then any other diagnosis' observation.

    A line holding the whole hint keeps what it adds ("... (lr = 0.1)"); a line that repeats
    the headline in other words is dropped.
    """
    said, hint_text = normalised(title), diagnosis.hint.strip()
    lines: list[str] = []
    for line in check.message.split("\n"):
        if hint_text and hint_text in line:
            line = line.replace(hint_text, "").strip(" .;:")
        elif len(said) >= 12 and said in normalised(line):
            continue
        if line.strip():
            lines.append(line)
    others = [f"{d.id}: {d.hint}" for d in check.diagnoses
              if d.id != diagnosis.id and normalised(d.hint) not in normalised(check.message)]
    return textwrap.dedent("\n".join(lines)) + "".join("\n" + line for line in others)


# Artifacts (accuracy, confusion matrix, reference curve) come from training, so
# they reveal the outcome of the training checks: while any such check is
# withheld, only the student's own loss per epoch (what train() returned) stays.
_ARTIFACT_TAGS = frozenset({"training"})


def _shown_artifacts(result: GradingResult, withheld: list[CheckView]) -> dict[str, Any]:
    artifacts = result.artifacts if isinstance(result.artifacts, dict) else {}
    if not any(_ARTIFACT_TAGS.intersection(c.tags) for c in withheld):
        return dict(artifacts)
    # Facts about the run itself reveal nothing about the withheld checks.
    kept = {key: artifacts[key] for key in _RUN_ARTIFACTS if key in artifacts}
    curve = artifacts.get("learning_curve")
    if isinstance(curve, dict) and "student" in curve:
        kept["learning_curve"] = {"student": curve["student"]}
    return kept


# "first_run": which stubs remain; shown only when every check shown failed as missing.
_RUN_ARTIFACTS = ("run_deadline", "student_output", "blocked_functions", "first_run")


def _dropped_artifacts(artifacts: Any, kept: dict[str, Any]) -> tuple[str, ...]:
    if not isinstance(artifacts, dict):
        return ()
    dropped = [key for key in artifacts if key not in kept]
    curve, kept_curve = artifacts.get("learning_curve"), kept.get("learning_curve")
    if isinstance(curve, dict) and curve.get("reference") and isinstance(kept_curve, dict) \
            and "reference" not in kept_curve:
        dropped.append("learning_curve.reference")
    return tuple(dropped)


def passed_by_component(view: ReportView) -> list[tuple[ComponentView, list[CheckView]]]:
    """Every component of the shown checks with its passed checks, in the view's order.

    Reports list failing checks one by one and fold the passed ones per
    component; a component with none passed still gets its line (its points).
    """
    return [(c, [check for check in view.shown if check.component == c.tag and check.passed])
            for c in view.components]


def artifacts_withheld_until(view: ReportView) -> list[str]:
    """When the withheld checks that hide training artifacts are shown ("shown after the due date", "hidden")."""
    return _withheld_reasons([c for c in view.withheld if _ARTIFACT_TAGS.intersection(c.tags)])


def _withheld_reasons(checks: list[CheckView]) -> list[str]:
    return sorted({_WITHHELD_REASON.get(c.visibility, "hidden") for c in checks})


STATUS_LABEL = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP",
                "not-assigned": "N/A"}
BEYOND_HEADING = "Beyond the course's own tests"
NOT_ASSIGNED_HEADING = "Not part of this assignment"
COURSE_MISSES_LABEL = "Not caught by the course's own tests"
STUDENT_OUTPUT_LABEL = "Output printed by your code (your program's own stdout/stderr, not the grader's)"
EXAMPLE_LABEL = "Smallest failing input found"
WHERE_LABEL = "Where in your code"  # the student's frames, innermost last
# A symptom's frames: where code tripped over the bad value (SGD.step over Linear's dLdW), which
# is not where the bug is; "Where in your code" sent students to the wrong function.
TRIPPED_LABEL = "Where your code tripped over it"
MESSAGE_LABEL = "What went wrong"  # the check's message: what it got against what it expected
FIX_LABEL = "How to fix it"
SYMPTOMS_LABEL = "And therefore (these follow from it)"
PROBABLE_LABEL = "Probably also causes (fix this first, then re-run)"


def checks_label(cause: CauseView) -> str:
    n = len(cause.checks)
    return f"The check{'s' if n != 1 else ''} it failed ({n})"


def evidence_label(cause: CauseView) -> str:
    """'What went wrong' and, when the card lists several checks, whose evidence it is."""
    return MESSAGE_LABEL + (f" (in {cause.first.number} {cause.first.label})" if len(cause.checks) > 1 else "")


def checks_phrase(cause: CauseView) -> str:
    """"7 checks and 3 it causes": the card's own checks, then those of the symptoms told on it."""
    own, more = len(cause.checks), cause.n_checks - len(cause.checks)
    return f"{own} check{'s' if own != 1 else ''}" + (f" and {more} it causes" if more else "")


def therefore_clause(cause: CauseView) -> str:
    """"; and therefore: no-learning; probably also: crash" for a summary line ("" if nothing)."""
    certain = _symptom_words(cause, [s for s in cause.symptoms if not s.probable])
    probable = _symptom_words(cause, [s for s in cause.symptoms if s.probable])
    return ((f"; and therefore: {', '.join(certain)}" if certain else "")
            + (f"; probably also: {', '.join(probable)}" if probable else ""))


def _symptom_words(cause: CauseView, symptoms: list[SymptomView]) -> list[str]:
    """Symptoms in a summary line: their ids, and where they show when the id is the cause's
    own ("and therefore: shape-mismatch" said nothing; "shape-mismatch in fc-net and training"
    does)."""
    words: dict[str, list[str]] = {}
    for symptom in symptoms:
        places = words.setdefault(symptom.id, [])
        if symptom.id == cause.id:
            places.extend(p for p in dict.fromkeys(c.component for c in symptom.checks) if p not in places)
    return [f"{sid} in {_and(places)}" if places else sid for sid, places in words.items()]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def problem_name(number: int) -> str:
    """How a report names a card: "problem 2" (Gradescope names the test that tells it)."""
    return f"problem {number}"


def _runs(numbers: list[str]) -> list[str]:
    """Check numbers with runs of three or more said as one ("48 to 67"): twenty numbers in a
    row are read as a range anyway."""
    if not all(n.isdigit() for n in numbers):
        return numbers
    values = sorted(dict.fromkeys(int(n) for n in numbers))
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[i - 1] + 1:
            run = values[start:i]
            out += [f"{run[0]} to {run[-1]}"] if len(run) >= 3 else [str(v) for v in run]
            start = i
    return out


def symptom_line(symptom: SymptomView, name: Callable[[int], str] = problem_name) -> str:
    """"no-learning in checks 92 and 102: train() cannot even fit 50 samples" (+ its card)."""
    numbers = _runs([c.number for c in symptom.checks])
    where = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    card = f" ({name(symptom.card)})" if symptom.card else ""
    return f"{symptom.id} in check{'s' if len(symptom.checks) != 1 else ''} {where}{card}: {symptom.headline}"


def symptom_where(symptom: SymptomView) -> str:
    """"shape-mismatch in check 92": which of a symptom's checks raised where its frames say."""
    number = next((c.number for c in symptom.checks if c.frames), symptom.checks[0].number)
    return f"{symptom.id} in check {number}"


#: Titles of checks that call twice and compare: failing on a wrong value, they can read as
#: "the results change between calls" when nothing did.
_REPEAT_TITLE = re.compile(r"\b(repeat\w*|same (seed|result)s?|deterministic|twice)\b", re.I)
#: Causes that really are about what changes between calls, or not about values at all.
_REPEAT_CAUSES = frozenset({"nondeterministic", "stale-gradient", "input-mutation", "batch-dependence",
                            "missing-api", "import-error", "forbidden-import", "tampering"})


def card_note(cause: CauseView, name: Callable[[int], str] = problem_name) -> str:
    """The sentences a card adds under its checks: that another card probably explains it, and
    that a check of repeated calls failed on the values, not on repeating."""
    notes: list[str] = []
    if cause.caused_by is not None:
        number, root = cause.caused_by
        notes.append(f"Probably caused by {name(number)} ({root}), since only training checks show it: "
                     "fix that first, then grade again.")
    repeats = [c.number for c in cause.checks if _REPEAT_TITLE.search(c.label)]
    if repeats and cause.id not in _REPEAT_CAUSES and cause.named and tier(cause.id) <= 1:
        which = f"Check {repeats[0]} compares" if len(repeats) == 1 else f"Checks {', '.join(repeats)} compare"
        notes.append(f"{which} repeated calls but failed on the values themselves ({cause.id}), "
                     "not because the results changed between calls.")
    return " ".join(notes)


def cards_by_check(causes: list[CauseView]) -> dict[int, tuple[CauseView, bool]]:
    """check index -> (its cause's card, whether this check is the one that tells it).

    For the per-check formats (JUnit, Gradescope): the first check of a cause carries the
    card; its other checks, and the checks of the symptoms told under it, point to it.
    """
    cards: dict[int, tuple[CauseView, bool]] = {}
    for cause in causes:
        for i, check in enumerate(cause.checks):
            cards[check.index] = (cause, i == 0)
        for symptom in cause.symptoms:
            for check in symptom.checks:
                cards.setdefault(check.index, (cause, False))
    return cards


def card_blocks(cause: CauseView, frames: int | None = FRAMES_SHOWN,
                more: str = "") -> list[tuple[str, str]]:
    """The labelled texts of a card after its list of checks, in the order reports show them:
    the evidence once, where in the student's code it broke, the failing input, the student's
    output, then the fix. `frames`: how many of the innermost frames to show (None: all);
    `more`: how to see the ones left out, where the format has a way (the terminal's -v)."""
    blocks = [(evidence_label(cause), cause.evidence),
              (WHERE_LABEL, where_text(cause, frames, more) if cause.frames else ""),
              # A symptom told only here keeps where it raised (an update tripping on the bad array).
              *((f"{TRIPPED_LABEL} ({symptom_where(s)})", where_text(s, frames, more))
                for s in cause.symptoms if s.frames and not s.card),
              (COURSE_MISSES_LABEL, cause.course_misses),
              (EXAMPLE_LABEL, cause.example), (STUDENT_OUTPUT_LABEL, cause.output),
              (FIX_LABEL, cause.fix)]
    return [(label, body) for label, body in blocks if body]
GRADER_ERROR_SENTENCE = (
    "The grader itself failed while grading this submission, so the score is 0 for now. "
    "This is a problem with the grading infrastructure: please contact the course staff."
)


# -- the first run: nothing implemented yet (grader.firstrun) ----------------------------
FIRST_RUN_HEADING = "Nothing is implemented yet"
FIRST_RUN_INTRO = ("Every function of the assignment still raises NotImplementedError (the template's "
                   "stubs), so no check could look at your code yet. Implement them in this order, "
                   "the handout's, and run the checks again after each one:")
FIRST_RUN_HANDOUT_INTRO = ("Every function the handout asks you to write is still its stub (it "
                           "returns None or NotImplemented, or is not there yet), so no check could "
                           "look at your code yet. Write them in this order, the handout's, and run "
                           "the checks again after each one:")
FIRST_RUN_CHECKS = ("What the checks will look at: each function against a reference on random "
                    "shapes and inputs (every backward against numerical gradients), then your "
                    "network trained on MNIST. Points per part:")
FIRST_RUN_PER_CHECK = "Not implemented yet: see the first steps at the top of the report."


@dataclass(frozen=True)
class FirstRunView:
    """What to implement first: (file, the stubs in it in order, whether the file is missing),
    in the handout's order; and the parts the checks grade, with their points."""

    steps: list[tuple[str, list[str], bool]]
    components: list[ComponentView]
    intro: str = FIRST_RUN_INTRO

    def step_lines(self) -> list[str]:
        """"1. layers.py: Linear.__init__, Linear.forward, ... (start here)", one per file."""
        lines = []
        for i, (file, todo, missing) in enumerate(self.steps, 1):
            what = "the file is missing: create it" if missing else ", ".join(todo)
            lines.append(f"{i}. {file}: {what}" + (" (start here)" if i == 1 else ""))
        return lines

    def component_lines(self) -> list[str]:
        return [f"{c.tag}: {c.max_score:.2f} points, {c.total} check{'s' if c.total != 1 else ''}"
                for c in self.components]


def first_run(view: ReportView) -> FirstRunView | None:
    """The first-run report's content when nothing is implemented yet (and every check shown
    failed as missing), else None."""
    data = view.artifacts.get("first_run")
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or view.grader_error:
        return None
    if not view.attention:
        return None
    # A handout's stubs run (returning None), so its checks fail with shape errors: the source
    # said nothing is written (grader.firstrun.handout_steps), and the given code's checks pass.
    handout = data.get("form") == "handout"
    if not handout and (any(c.passed and "api" not in c.tags for c in view.shown)
                        or any(d.id != "missing-api" for c in view.attention for d in c.diagnoses)):
        return None
    steps = []
    for step in data["steps"][:40]:
        if isinstance(step, dict):
            todo = [clean_line(t, 80) for t in (step.get("todo") or [])[:60]]
            steps.append((clean_line(step.get("file", ""), 120) or "?", todo, bool(step.get("missing"))))
    return FirstRunView(steps, [c for c in view.components if c.max_score > 0],
                        FIRST_RUN_HANDOUT_INTRO if handout else FIRST_RUN_INTRO)


def lists_beyond(view: ReportView) -> bool:
    """Whether a report lists the checks beyond the course's own tests. Not on a first run:
    with nothing implemented yet they fail only for that, and the first-run report already
    says what to implement."""
    return bool(view.beyond) and first_run(view) is None


def first_run_text(first: FirstRunView) -> str:
    """The first-run report as plain text (JUnit, and a fallback for any writer)."""
    return "\n".join([f"{FIRST_RUN_HEADING}.", first.intro, *first.step_lines(), "",
                      FIRST_RUN_CHECKS, *(f"  {line}" for line in first.component_lines())])
