"""Terminal report (rich), printed through grader.reports.console (plain and fixed-width
without a TTY, so stable enough for golden files); the training bar is grader.reports.progress.

All student-controlled text goes into `rich.text.Text` objects, never into
markup strings, so `[bold]` or `[link=...]` in a student's output is printed
literally; terminal escapes were already removed by `clean`.

Read from the bottom up: a terminal shows its last screen, so the report puts
the checks that did not pass first, one card per cause ("Problem 1 relu-mask: ...",
see grader.causes), and ends on the components, the most likely problems and the
score. Text wraps between words (rich tables fold cells
mid-word, so only borderless grids are used), and every amount has 2 decimals.
"""

from __future__ import annotations

import io
from typing import TextIO

from rich.console import Group
from rich.constrain import Constrain
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.reports.build import build_view, not_assigned_lines, summary_facts
from grader.reports.cards import (
    GRADER_ERROR_SENTENCE, card_blocks, card_note, checks_label, checks_phrase, symptom_line,
    therefore_clause,
)
from grader.reports.console import print_items
from grader.reports.firstrun_view import (
    FIRST_RUN_CHECKS, FIRST_RUN_HEADING, FirstRunView, first_run, lists_beyond,
)
from grader.reports.labels import (
    NOT_ASSIGNED_HEADING, PROBABLE_LABEL, STATUS_LABEL, SYMPTOMS_LABEL,
)
from grader.reports.view import CauseView, CheckView, FRAMES_SHOWN, ReportView
from grader.results import GradingResult
from grader.scoring import cents_text

HEADING_WIDTH = 100
STATUS_STYLE = {"passed": "bold green", "failed": "bold red", "error": "bold magenta", "skipped": "yellow",
                "not-assigned": "dim"}


def _shown_percent(view: ReportView) -> float:
    return 100.0 * view.shown_score / view.shown_max_score if view.shown_max_score else 0.0


def score_sentence(view: ReportView) -> str:
    """The report's one score line; with checks withheld it says whose score it is."""
    if view.grader_error:
        return f"Score: 0.00 / {cents_text(view.max_score)} (the grader itself failed)"
    if view.withheld:
        n = len(view.shown)
        return (f"Score on the {n} check{'s' if n != 1 else ''} shown: {cents_text(view.shown_score)} / "
                f"{cents_text(view.shown_max_score)} ({_shown_percent(view):.1f}%)")
    return f"Score: {cents_text(view.score)} / {cents_text(view.max_score)} ({view.percent:.1f}%)"


def summary_line(result: GradingResult, *, show_hidden: bool = False, where: str = "") -> str:
    """The CLI's one-line summary (stderr), in the report's precision: the same figure the
    report shows, so over the checks shown when some are withheld (saying how many)."""
    view = build_view(result, show_hidden=show_hidden)
    if view.withheld and not view.grader_error:
        # A CI job log is the student's to read: the figure their report shows, nothing
        # about how the withheld checks went (staff: --show-hidden).
        m = len(view.withheld)
        return (f"score on the {len(view.shown)} checks shown {cents_text(view.shown_score)} / "
                f"{cents_text(view.shown_max_score)} ({view.shown_percent:.1f}%); {m} more "
                f"check{'s are' if m != 1 else ' is'} withheld{where}")
    return f"score {cents_text(view.score)} / {cents_text(view.max_score)} ({view.percent:.1f}%){where}"


def student_percent(result: GradingResult, *, show_hidden: bool = False) -> float:
    """The percentage the student's report shows (over the checks shown)."""
    return build_view(result, show_hidden=show_hidden).shown_percent


def _hanging(prefix: Text, body: Text) -> Table:
    """`prefix` then `body`, whose wrapped lines stay indented under its first word."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(prefix, body)
    return grid


def _block(label: str, body: str) -> Group:
    return Group(Text(label + ":", style="bold"), Padding(Text(body, overflow="fold"), (0, 0, 0, 4)))


def _check_heading(check: CheckView) -> Constrain:
    """`[FAIL] 2.2 Title ...  0.00 / 5.00`: the title wraps by words, the score stays on the right.

    At most HEADING_WIDTH wide, so on a wide terminal the score stays near its title.
    """
    grid = Table.grid(padding=(0, 1, 0, 0), expand=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold", ratio=1)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_row(Text(f"[{STATUS_LABEL[check.status]}]", STATUS_STYLE[check.status]),
                 Text(check.number), Text(check.label, "bold"),
                 Text(f" {cents_text(check.score)} / {cents_text(check.max_score)}"))
    return Constrain(grid, HEADING_WIDTH)


def _card(cause: CauseView, verbose: bool = False) -> Group:
    """One root cause: the checks it failed, what went wrong once, how to fix it once, and
    what it makes other checks do. `verbose`: every frame of the student's code, not the
    innermost few."""
    grid = Table.grid(padding=(0, 1, 0, 0), expand=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold", ratio=1)
    grid.add_column(no_wrap=True, justify="right")
    title = Text()
    title.append(cause.id, "bold red")
    if cause.headline:
        title.append(f": {cause.headline}", "bold")
    grid.add_row(Text(f"Problem {cause.number}", "bold"), title,
                 Text(f" {cents_text(cause.score)} / {cents_text(cause.max_score)}"))
    lines: list = [Text(checks_label(cause) + ":", style="bold")]
    lines += [Padding(_check_heading(check), (0, 0, 0, 2)) for check in cause.checks]
    sentence = card_note(cause)
    if sentence:
        lines.append(Text(sentence, style="italic"))
    lines += [_block(label, body) for label, body in card_blocks(cause, None if verbose else FRAMES_SHOWN,
                                                                    "; -v shows them")]
    for label, probable in ((SYMPTOMS_LABEL, False), (PROBABLE_LABEL, True)):
        symptoms = [s for s in cause.symptoms if s.probable == probable]
        if symptoms:
            lines.append(Text(label + ":", style="bold"))
            lines += [_hanging(Text("  - "), Text(symptom_line(s))) for s in symptoms]
    return Group(Constrain(grid, HEADING_WIDTH), Padding(Group(*lines), (0, 0, 0, 2)))


def _component_lines(view: ReportView, verbose: bool) -> list:
    """One line per component (score, checks passed); `verbose` lists every check under it."""
    grid = Table.grid(padding=(0, 2, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold", ratio=1)
    items: list = [Text("Score by component", style="bold")]
    for comp in view.components:
        plural = "s" if comp.total != 1 else ""
        detail = (Text(f"{comp.total} check{plural}, all passed", "green") if comp.passed == comp.total
                  else Text(f"{comp.total - comp.passed} of {comp.total} check{plural} not passed", "red"))
        if not verbose:
            grid.add_row(Text("  " + comp.tag), Text(f"{cents_text(comp.score)} / {cents_text(comp.max_score)}"),
                         detail)
            continue
        items.append(_hanging(Text("  "), Text(
            f"{comp.tag}  {cents_text(comp.score)} / {cents_text(comp.max_score)}  ", "bold") + detail))
        for check in view.shown:
            if check.component == comp.tag and not check.beyond_course and check.status != "not-assigned":
                items.append(Padding(_check_heading(check), (0, 0, 0, 4)))
    if not verbose:
        items.append(grid)
    return items


def _scope_lines(view: ReportView, verbose: bool = False) -> list:
    """The checks beyond the course's own tests (what went wrong, each with its reason; the
    ones that passed in one line, or each with its reason when `verbose`), then the parts not
    assigned by the release graded."""
    items: list = []
    if lists_beyond(view):
        items += [Text(""), Text(view.beyond_heading, style="bold")]
        passed = [check for check in view.beyond if check.passed]
        for check in passed if verbose else ():
            items.append(Padding(_check_heading(check), (0, 0, 0, 2)))
            items.append(_beyond_reason(check.beyond_course))
        for cause in view.beyond_causes:
            items.append(Padding(_card(cause, verbose), (0, 0, 0, 2)))
            items.append(_beyond_reason(cause.first.beyond_course))
        if passed and not verbose:
            items.append(Text(f"  {_passed_beyond(len(passed), len(view.beyond))}", "green"))
    lines = not_assigned_lines(view)
    if lines:
        items += [Text(""), Text(f"{NOT_ASSIGNED_HEADING} (not graded, not in the total)", style="bold")]
        items += [_hanging(Text("  - "), Text(line)) for line in lines]
    return items


def _passed_beyond(passed: int, total: int) -> str:
    """The passing checks beyond the course's tests, in one line (`-v` lists them)."""
    each = "each" if passed > 1 else "it"
    if passed == total:
        count = f"{passed} checks, all passed" if passed > 1 else "1 check, passed"
    else:
        count = f"{passed} other check{'s' if passed > 1 else ''} passed"
    return f"{count} (-v lists {each} with why the course's tests miss it)"


def _beyond_reason(reason: str) -> Padding:
    """Why the course's own tests miss a check, indented under it (wrapped lines too)."""
    return Padding(Text(f"({reason})", style="dim"), (0, 0, 0, 4))


def _renderables(view: ReportView, verbose: bool = False) -> list:
    """Failing checks first, then the components, and the summary last: the final screen."""
    items: list = []
    head = Text()
    head.append("Grading report: ", "bold")
    head.append(view.submission)
    items.append(head)

    first = first_run(view)
    attention = [] if first else view.attention
    if first:
        items += _first_run_lines(first)
    if attention:
        items.append(Text(""))
        n = len(view.causes)
        items.append(Text(f"Checks that did not pass ({len(attention)}), by cause ({n} "
                          f"problem{'s' if n != 1 else ''})", style="bold underline"))
    for cause in [] if first else view.causes:
        items.append(Text(""))
        items.append(_card(cause, verbose))

    # After a grader error every component scores 0 whatever its checks did:
    # the lines would contradict themselves ("all passed", 0 points).
    if view.components and not view.grader_error and not first:
        items.append(Text(""))
        items.extend(_component_lines(view, verbose))
    items += _scope_lines(view, verbose)

    if view.top_causes and not first:
        items.append(Text(""))
        items.append(Text("Most likely problems:", style="bold"))
        for cause in view.top_causes:
            items.append(_hanging(Text("  - "), _top_line(cause)))

    if view.grader_error:
        items.append(Text(""))
        items.append(Text(GRADER_ERROR_SENTENCE, style="bold red"))
        items.append(_block("Reason", view.grader_error))
    elif not view.attention and view.shown and all(c.passed for c in view.beyond):
        items.append(Text(""))
        items.append(Text("All checks shown passed.", style="bold green"))

    items.append(Text(""))
    items.append(Text(" | ".join(summary_facts(view)), style="dim"))
    score = Text(score_sentence(view), style=_score_style(view))
    items.append(score)
    note = view.withheld_note(amount=cents_text)
    if note:
        items.append(Text(note, style="italic"))
    return items


def _first_run_lines(first: FirstRunView) -> list:
    """The first-run report: what to implement first, and what the checks will look at."""
    items: list = [Text(""), Text(FIRST_RUN_HEADING, style="bold underline"), Text(first.intro)]
    for line in first.step_lines():
        number, rest = line.split(" ", 1)
        items.append(_hanging(Text(f"  {number} "), Text(rest)))
    items += [Text(""), Text(FIRST_RUN_CHECKS)]
    items += [Text(f"  {line}") for line in first.component_lines()]
    return items


def _top_line(cause: CauseView) -> Text:
    """"relu-mask (problem 1, 10 checks): ReLU.backward gates on ...; and therefore: no-learning"."""
    line = Text()
    line.append(cause.id, "bold red")
    line.append(f" (problem {cause.number}, {checks_phrase(cause)}): {cause.summary}")
    line.append(therefore_clause(cause))
    return line


def _score_style(view: ReportView) -> str:
    if view.grader_error:
        return "bold red"
    if view.withheld:
        return "bold"
    return "bold green" if view.score >= view.max_score else "bold yellow"


def write(
    result: GradingResult,
    stream: TextIO,
    *,
    color: bool | None = None,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
    verbose: bool = False,
    width: int | None = None,
) -> None:
    """Print the report to `stream`; `color=None` means colour only if `stream` is a TTY.

    `verbose` lists passing checks too (otherwise one line per component);
    `width` fixes the width (default: the terminal's on a TTY, else console.PLAIN_WIDTH).
    """
    view = build_view(result, after_due_date=after_due_date, published=published, show_hidden=show_hidden)
    print_items(stream, _renderables(view, verbose), color, width)


def write_paragraph(stream: TextIO, paragraph: str, *, color: bool | None = None) -> None:
    """One paragraph after the report, wrapped by words at the report's width (the CLI's footers)."""
    print_items(stream, [Text(paragraph)], color, None)


def render(
    result: GradingResult,
    *,
    color: bool = False,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
    verbose: bool = False,
    width: int | None = None,
) -> str:
    buf = io.StringIO()
    write(result, buf, color=color, after_due_date=after_due_date, published=published,
          show_hidden=show_hidden, verbose=verbose, width=width)
    return buf.getvalue()
