"""Terminal report (rich) and the training progress reporter.

All student-controlled text goes into `rich.text.Text` objects, never into
markup strings, so `[bold]` or `[link=...]` in a student's output is printed
literally; terminal escapes were already removed by `clean`. Without a TTY
(CI logs, files, `render`) the output has no colour codes and a fixed width,
so it is stable enough for golden files.
"""

from __future__ import annotations

import io
import sys
import time
from typing import TextIO

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.reports._common import (
    EXAMPLE_LABEL,
    GRADER_ERROR_SENTENCE,
    STATUS_LABEL,
    STUDENT_OUTPUT_LABEL,
    summary_facts,
    ReportView,
    build_view,
    points,
)
from grader.results import GradingResult

PLAIN_WIDTH = 100
STATUS_STYLE = {"passed": "bold green", "failed": "bold red", "error": "bold magenta", "skipped": "yellow"}


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def make_console(stream: TextIO, color: bool | None) -> Console:
    """A Console for `stream`: colour on a TTY unless told otherwise; plain and 100 wide otherwise.

    Passing force_terminal/no_color/width explicitly also stops FORCE_COLOR,
    NO_COLOR and COLUMNS in the environment from changing the plain output.
    """
    use_color = _is_tty(stream) if color is None else color
    return Console(
        file=stream,
        force_terminal=use_color,
        no_color=not use_color,
        color_system="standard" if use_color else None,
        width=None if (use_color and _is_tty(stream)) else PLAIN_WIDTH,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def _score_text(view: ReportView) -> Text:
    text = Text()
    if view.grader_error:
        text.append(f"Score: 0 / {points(view.max_score)}", "bold red")
        text.append("  (grader error)")
    elif view.withheld:
        text.append(f"Score on the checks shown: {points(view.shown_score)} / "
                    f"{points(view.shown_max_score)}", "bold")
    else:
        style = "bold green" if view.score >= view.max_score else "bold yellow"
        text.append(f"Score: {points(view.score)} / {points(view.max_score)} ({view.percent:.1f}%)", style)
    return text


def _component_table(view: ReportView, tag: str) -> Table:
    comp = next(c for c in view.components if c.tag == tag)
    table = Table(
        title=Text(f"{tag}  {points(comp.score)} / {points(comp.max_score)}", style="bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("check", overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("diagnoses", overflow="fold")
    for check in view.shown:
        if check.component != tag:
            continue
        table.add_row(
            Text(check.number),
            Text(STATUS_LABEL[check.status], STATUS_STYLE[check.status]),
            Text(check.name),
            Text(f"{points(check.score)} / {points(check.max_score)}"),
            Text(", ".join(d.id for d in check.diagnoses), "red"),
        )
    return table


def _block(label: str, body: str) -> Group:
    return Group(Text(label + ":", style="bold"), Padding(Text(body), (0, 0, 0, 4)))


def _renderables(view: ReportView) -> list:
    items: list = []
    head = Text()
    head.append("Grading report: ", "bold")
    head.append(view.submission)
    items.append(head)
    items.append(_score_text(view))
    facts = summary_facts(view)
    items.append(Text(" | ".join(facts), style="dim"))

    if view.grader_error:
        items.append(Text(""))
        items.append(Text(GRADER_ERROR_SENTENCE, style="bold red"))
        items.append(_block("Reason", view.grader_error))

    for comp in view.components:
        items.append(Text(""))
        items.append(_component_table(view, comp.tag))
    note = view.withheld_note()
    if note:
        items.append(Text(""))
        items.append(Text(note, style="italic"))

    if view.top_diagnoses:
        items.append(Text(""))
        items.append(Text("Most likely problems:", style="bold"))
        for d, n in view.top_diagnoses:
            line = Text("  - ")
            line.append(d.id, "bold red")
            line.append(f" (in {n} check{'s' if n != 1 else ''}): {d.hint}")
            items.append(line)

    attention = view.attention
    if attention:
        items.append(Text(""))
        items.append(Text("Checks that did not pass", style="bold underline"))
    for check in attention:
        items.append(Text(""))
        title = Text()
        title.append(f"[{STATUS_LABEL[check.status]}] ", STATUS_STYLE[check.status])
        title.append(f"{check.number}. {check.name}", "bold")
        title.append(f"  {points(check.score)} / {points(check.max_score)}")
        items.append(title)
        lines: list = []
        for d in check.diagnoses:
            line = Text("- ")
            line.append(d.id, "bold red")
            line.append(f": {d.hint}")
            lines.append(line)
        if check.message:
            lines.append(_block("What went wrong", check.message))
        if check.example:
            lines.append(_block(EXAMPLE_LABEL, check.example))
        if check.output:
            lines.append(_block(STUDENT_OUTPUT_LABEL, check.output))
        items.append(Padding(Group(*lines), (0, 0, 0, 2)))
    if not attention and view.shown and not view.grader_error:
        items.append(Text(""))
        items.append(Text("All checks shown passed.", style="bold green"))
    return items


def write(
    result: GradingResult,
    stream: TextIO,
    *,
    color: bool | None = None,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
) -> None:
    """Print the report to `stream`; `color=None` means colour only if `stream` is a TTY."""
    view = build_view(result, after_due_date=after_due_date, published=published, show_hidden=show_hidden)
    use_color = _is_tty(stream) if color is None else color
    if use_color:
        console = make_console(stream, True)
        for item in _renderables(view):
            console.print(item)
        return
    # Plain: render to a buffer and drop the padding rich adds to fill the
    # width, so logs and golden files carry no trailing whitespace.
    buf = io.StringIO()
    console = make_console(buf, False)
    for item in _renderables(view):
        console.print(item)
    stream.write("\n".join(line.rstrip() for line in buf.getvalue().split("\n")))


def render(
    result: GradingResult,
    *,
    color: bool = False,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
) -> str:
    buf = io.StringIO()
    write(result, buf, color=color, after_due_date=after_due_date, published=published,
          show_hidden=show_hidden)
    return buf.getvalue()


class ProgressReporter:
    """Progress of a long phase (training): a rich bar on a TTY, a few plain lines otherwise.

    Plain mode prints at start, at each quarter and at finish, so CI logs show
    the run is alive without thousands of lines. `quiet=True` prints nothing.
    Calls out of order (advance before start, finish twice) are harmless:
    a progress display must never be the reason grading fails.
    """

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None, quiet: bool = False) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._quiet = quiet
        self._tty = _is_tty(self._stream) if color is None else color
        self._progress: Progress | None = None
        self._task: int | None = None
        self._total = 0
        self._done = 0
        self._description = ""
        self._next_quarter = 1
        self._started_at = 0.0
        self._active = False

    def _line(self, text: str) -> None:
        try:
            self._stream.write(text + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def start(self, total: int, description: str) -> None:
        if self._active:
            self.finish()
        self._total = max(0, int(total))
        self._done = 0
        self._description = description
        self._next_quarter = 1
        self._started_at = time.monotonic()
        self._active = True
        if self._quiet:
            return
        if self._tty:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=make_console(self._stream, True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(description, total=self._total or None)
        else:
            self._line(f"{description}: started ({self._total} steps)")

    def advance(self, n: int = 1) -> None:
        if not self._active:
            return
        self._done += n
        if self._quiet:
            return
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)
            return
        while self._total and self._next_quarter < 4 and self._done * 4 >= self._next_quarter * self._total:
            self._line(f"{self._description}: {min(self._done, self._total)}/{self._total}")
            self._next_quarter += 1

    def finish(self) -> None:
        if not self._active:
            return
        self._active = False
        if self._quiet:
            return
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None
            return
        elapsed = time.monotonic() - self._started_at
        self._line(f"{self._description}: done ({min(self._done, self._total)}/{self._total}) in {elapsed:.1f} s")

    def __enter__(self) -> "ProgressReporter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
