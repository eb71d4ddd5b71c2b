"""Building the `ReportView` from a `GradingResult`: checks cleaned, visibility applied,
causes grouped (grader/causes/), artifacts that would reveal withheld checks dropped.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from grader.reports.cards import cause_views
from grader.reports.labels import STATUS_LABEL
from grader.reports.sanitize import (EXAMPLE_LIMIT, EXAMPLE_LINES, GRADER_ERROR_LIMIT, MESSAGE_LIMIT, MESSAGE_LINES,
                                     OUTPUT_LIMIT, OUTPUT_LINES, VISIBILITIES, clean, clean_line, is_shown,
                                     number, truncate)
from grader.reports.view import CheckView, ComponentView, DiagnosisView, FrameView, ReportView, _withheld_reasons
from grader.results import CheckResult, GradingResult


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
