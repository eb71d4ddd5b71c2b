"""Markdown report: a CI step summary (GitHub's $GITHUB_STEP_SUMMARY, GitLab/Gitea pages).

The helpers here (`inline`, `fenced`, `check_details`, `summary_table`) are
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

from grader.reports._common import (
    COURSE_MISSES_LABEL,
    EXAMPLE_LABEL,
    FIRST_RUN_CHECKS,
    FIRST_RUN_HEADING,
    FIRST_RUN_INTRO,
    FirstRunView,
    first_run,
    WHERE_LABEL,
    where_text,
    GRADER_ERROR_SENTENCE,
    NOT_ASSIGNED_HEADING,
    STATUS_LABEL,
    STUDENT_OUTPUT_LABEL,
    not_assigned_lines,
    summary_facts,
    CheckView,
    ReportView,
    number,
    points,
)

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


def check_details(check: CheckView) -> str:
    """Why a check did not pass: diagnoses with hints, the message, the example, the student's output."""
    parts: list[str] = []
    for d in check.diagnoses:
        parts.append(f"- **`{inline(d.id)}`**: {trusted(d.hint)}")
    if parts:
        parts = ["\n".join(parts)]
    if check.message:
        if "\n" in check.message:
            parts.append("**What went wrong:**\n\n" + fenced(check.message))
        else:
            parts.append(f"**What went wrong:** {inline(check.message)}")
    if check.frames:
        parts.append(f"**{WHERE_LABEL}:**\n\n" + fenced(where_text(check)))
    if check.course_misses and not check.passed:
        parts.append(f"**{COURSE_MISSES_LABEL}:** {inline(check.course_misses)}")
    if check.example:
        parts.append(f"**{EXAMPLE_LABEL}:**\n\n" + fenced(check.example))
    if check.output:
        parts.append(f"**{STUDENT_OUTPUT_LABEL}:**\n\n" + fenced(check.output))
    return "\n\n".join(parts)


def first_run_markdown(first: FirstRunView, level: str = "###") -> str:
    """The first-run report: what to implement first, then what the checks will look at."""
    lines = [f"{level} {FIRST_RUN_HEADING}", "", inline(FIRST_RUN_INTRO), ""]
    lines += [inline(line).replace("\\.", ".", 1) for line in first.step_lines()]
    lines += ["", inline(FIRST_RUN_CHECKS), ""]
    lines += [f"- {inline(line)}" for line in first.component_lines()]
    return "\n".join(lines)


def scope_sections(view: ReportView, level: str = "###") -> list[str]:
    """The checks beyond the course's own tests (their own group) and the parts the release
    graded does not assign, as Markdown blocks (also used by the Gradescope writer)."""
    out: list[str] = []
    if view.beyond:
        out.append(f"{level} {inline(view.beyond_heading)}")
        for check in view.beyond:
            icon = STATUS_ICON.get(check.status, "❌")
            out.append(f"- {icon} {inline(check.label)} — {STATUS_LABEL[check.status]}, "
                       f"{points(check.score)} / {points(check.max_score)} "
                       f"(_{inline(check.beyond_course)}_)")
            if not check.passed:
                details = check_details(check)
                if details:
                    out.append(details)
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

    if view.top_diagnoses and not first_run(view):
        lines = ["### Most likely problems"]
        lines += [f"- **`{inline(d.id)}`** (in {n} check{'s' if n != 1 else ''}): {trusted(d.hint)}"
                  for d, n in view.top_diagnoses]
        out.append("\n".join(lines))

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
        out.append("### Checks that did not pass")
        for check in attention:
            icon = STATUS_ICON.get(check.status, "❌")
            out.append(
                f"#### {icon} {inline(check.label)} — {STATUS_LABEL[check.status]}, "
                f"{points(check.score)} / {points(check.max_score)}"
            )
            if check.label != check.name:
                # The id, small: what an instructor greps for or puts in a rubric.
                out.append(f"<sub>{inline(check.name)}</sub>")
            details = check_details(check)
            if details:
                out.append(details)
    elif view.shown and not view.grader_error and not first and all(c.passed for c in view.beyond):
        out.append("All checks shown passed. 🎉")
    out += scope_sections(view)
    return "\n\n".join(out) + "\n"
