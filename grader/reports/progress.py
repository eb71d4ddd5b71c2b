"""The training progress reporter: a rich bar on a TTY, a few plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from grader.reports.console import is_tty, make_console

if TYPE_CHECKING:  # imported by the bar itself, on a TTY only (CI logs get plain lines)
    from rich.progress import Progress


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
        self._tty = is_tty(self._stream) if color is None else color
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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
