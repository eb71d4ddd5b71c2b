"""Markdown report: a CI step summary (GitHub's $GITHUB_STEP_SUMMARY, GitLab/Gitea pages).

The helpers here (`inline`, `fenced`, `card_body`, `summary_table`) are
also used by the Gradescope writer, whose outputs are Markdown too.

Numbers people read have one precision, two decimals at most (`points`: "6.5",
"83.33%"); the JSON formats keep them exact.

Student-controlled text is either backslash-escaped inline text or sits in a
fenced code block whose fence is longer than any backtick run in the text,
so a student's own ``` cannot close the block early (CommonMark: a closing
fence must be at least as long as the opening one), and nothing in it is
rendered as Markdown or HTML.
"""

from __future__ import annotations

import re

from typing import Callable

from grader.reports.build import not_assigned_lines, summary_facts
from grader.reports.cards import (
    GRADER_ERROR_SENTENCE, card_blocks, card_note, checks_label, checks_phrase, problem_name,
    symptom_line, therefore_clause,
)
from grader.reports.firstrun_view import (
    FIRST_RUN_CHECKS, FIRST_RUN_HEADING, FirstRunView, first_run, lists_beyond,
)
from grader.reports.labels import (
    COURSE_MISSES_LABEL, FIX_LABEL, NOT_ASSIGNED_HEADING, PROBABLE_LABEL, STATUS_LABEL,
    SYMPTOMS_LABEL,
)
from grader.reports.sanitize import number, points
from grader.reports.view import CauseView, CheckView, ReportView

# Every ASCII punctuation character CommonMark lets us backslash-escape that
# could start markup, close a table cell, or open an HTML tag or entity.
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
_BACKTICK_RUN = re.compile(r"`+")

STATUS_ICON = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭️", "not-assigned": "➖"}


def inline(text: str) -> str:
    """Untrusted text as one line of literal Markdown (safe in a paragraph or table cell)."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def trusted(text: str) -> str:
    """Grader-written Markdown (diagnosis hints): keep `code` spans, but no raw HTML."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fenced(text: str, lang: str = "text") -> str:
    """A fenced code block that no content can close early."""
    longest = max((len(m) for m in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def figure(value: float) -> str:
    """A measurement that is not a score (a percentage, seconds): "83.33", "100", "12.35"."""
    text = f"{number(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(value: float) -> str:
    """A percentage (0..100): "83.33%", "100%"."""
    return f"{figure(value)}%"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(view: ReportView) -> str:
    """Per-component table over the checks shown."""
    rows = [
        [inline(c.tag),
         f"{points(c.score)} / {points(c.max_score)}",
         f"{c.passed} / {c.total}"]
        for c in view.components
    ]
    return _table(["Component", "Score", "Checks passed"], rows)


def check_line(check: CheckView) -> str:
    """One check as a list item: icon, number, title, points, and its id in small print."""
    icon = STATUS_ICON.get(check.status, "❌")
    sub = f" <sub>{inline(check.name)}</sub>" if check.label != check.name else ""
    return (f"- {icon} {inline(check.number)} {inline(check.label)} — "
            f"{points(check.score)} / {points(check.max_score)}{sub}")


def cause_title(cause: CauseView) -> str:
    return (f"Problem {cause.number}: `{inline(cause.id)}`" + (f" — {trusted(cause.headline)}" if cause.headline else "") + " "
            f"({points(cause.score)} / {points(cause.max_score)})")


def card_body(cause: CauseView, *, with_checks: bool = True, name: Callable[[int], str] = problem_name) -> str:
    """A card's body: the checks it failed, the evidence once, the fix once, what follows from it.

    `with_checks=False` for a Gradescope test's output, which sits under the test's own name;
    `name` says how to name another card ("problem 2", or the test that tells it).
    """
    parts: list[str] = []
    if with_checks:
        parts.append(f"{checks_label(cause)}:\n\n" + "\n".join(check_line(c) for c in cause.checks))
    elif len(cause.checks) > 1:
        others = ", ".join(f"{inline(c.number)} {inline(c.label)}" for c in cause.checks[1:])
        parts.append(f"The same cause fails {len(cause.checks) - 1} more: {others}.")
    sentence = card_note(cause, name)
    if sentence:
        parts.append(f"_{inline(sentence)}_")
    for label, body in card_blocks(cause):
        if label == FIX_LABEL:
            parts.append(f"**{label}:** {trusted(body)}")
        elif label == COURSE_MISSES_LABEL:
            parts.append(f"**{label}:** {inline(body)}")
        else:  # evidence, the failing input, the student's output: as printed
            parts.append(f"**{inline(label)}:**\n\n" + fenced(body))
    for label, probable in ((SYMPTOMS_LABEL, False), (PROBABLE_LABEL, True)):
        symptoms = [s for s in cause.symptoms if s.probable == probable]
        if symptoms:
            parts.append(f"**{label}:**\n\n" + "\n".join(f"- {inline(symptom_line(s, name))}" for s in symptoms))
    return "\n\n".join(parts)


def top_line(cause: CauseView, name: Callable[[int], str] = problem_name) -> str:
    """A most-likely-problem line: id, where it is told and its checks, headline, what follows."""
    therefore = inline(therefore_clause(cause))
    return (f"- **`{inline(cause.id)}`** ({name(cause.number)}, {checks_phrase(cause)}): "
            f"{trusted(cause.summary)}{therefore}")


def first_run_markdown(first: FirstRunView, level: str = "###") -> str:
    """The first-run report: what to implement first, then what the checks will look at."""
    lines = [f"{level} {FIRST_RUN_HEADING}", "", inline(first.intro), ""]
    lines += [inline(line).replace("\\.", ".", 1) for line in first.step_lines()]
    lines += ["", inline(FIRST_RUN_CHECKS), ""]
    lines += [f"- {inline(line)}" for line in first.component_lines()]
    return "\n".join(lines)


def scope_sections(view: ReportView, level: str = "###") -> list[str]:
    """The checks beyond the course's own tests (their own group) and the parts the release
    graded does not assign, as Markdown blocks (also used by the Gradescope writer)."""
    out: list[str] = []
    if lists_beyond(view):
        out.append(f"{level} {inline(view.beyond_heading)}")
        for check in view.beyond:
            icon = STATUS_ICON.get(check.status, "❌")
            out.append(f"- {icon} {inline(check.label)} — {STATUS_LABEL[check.status]}, "
                       f"{points(check.score)} / {points(check.max_score)} "
                       f"(_{inline(check.beyond_course)}_)")
        for cause in view.beyond_causes:
            out.append(f"{level}# {cause_title(cause)}\n\n{card_body(cause)}")
    lines = not_assigned_lines(view)
    if lines:
        out.append(f"{level} {NOT_ASSIGNED_HEADING} (not graded, not in the total)\n\n"
                   + "\n".join(f"- {inline(line)}" for line in lines))
    return out


def score_line(view: ReportView) -> str:
    if view.grader_error:
        return f"**Score: {points(0)} / {points(view.max_score)}** (grader error)"
    if view.withheld:
        return (f"**Score on the checks shown: {points(view.shown_score)} / "
                f"{points(view.shown_max_score)}**")
    return f"**Score: {points(view.score)} / {points(view.max_score)} ({percent(view.percent)})**"


def render_view(view: ReportView) -> str:
    out: list[str] = [f"## Grading report: {inline(view.submission)}", score_line(view)]
    if view.grader_error:
        out.append(f"> ⚠️ {GRADER_ERROR_SENTENCE}")
        out.append("**Reason:**\n\n" + fenced(view.grader_error))

    facts = summary_facts(view, inline, figure)
    out.append(" · ".join(facts))

    if view.components:
        out.append(summary_table(view))
    note = view.withheld_note()
    if note:
        out.append(f"_{inline(note)}_")

    if view.top_causes and not first_run(view):
        out.append("\n".join(["### Most likely problems"] + [top_line(c) for c in view.top_causes]))

    if view.per_class_rows:
        rows = view.per_class_rows
        out.append("### Per digit, on the test set\n\n" + _table(
            ["Digit"] + [str(d) for d in range(len(rows[0][1]))],
            [[label] + [percent(100 * v) for v in values] for label, values in rows]))

    first = first_run(view)
    attention = [] if first else view.attention
    if first:
        out.append(first_run_markdown(first))
    if attention:
        n = len(view.causes)
        out.append(f"### Checks that did not pass ({len(attention)}), by cause ({n} problem{'s' if n != 1 else ''})")
        out += [f"#### {cause_title(cause)}\n\n{card_body(cause)}" for cause in view.causes]
    elif view.shown and not view.grader_error and not first and all(c.passed for c in view.beyond):
        out.append("All checks shown passed. 🎉")
    out += scope_sections(view)
    return "\n\n".join(out) + "\n"
