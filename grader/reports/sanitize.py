"""Student-controlled text made safe to show: cleaned, truncated, scores rounded, visibility.

Every writer shows messages, examples, captured output and the submission name
through these, so no format can be flooded or spoofed by what a submission prints;
format-specific escaping (XML, HTML, Markdown, rich markup) happens in each writer.
"""

from __future__ import annotations

import math
import re
from typing import Any

from grader.results import CheckResult
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
