"""The rich Console every terminal output uses, and printing through it.

Without a TTY (CI logs, files, `render`) the output has no colour codes and a fixed
width, with the padding rich adds to fill the width dropped, so it is stable enough
for golden files.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported where a console is made: a run with no bar needs no rich till its report
    from rich.console import Console

PLAIN_WIDTH = 100


def is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def make_console(stream: TextIO, color: bool | None, width: int | None = None) -> Console:
    """A Console for `stream`: colour on a TTY unless told otherwise; plain and 100 wide otherwise.

    Passing force_terminal/no_color/width explicitly also stops FORCE_COLOR,
    NO_COLOR and COLUMNS in the environment from changing the plain output.
    """
    from rich.console import Console

    use_color = is_tty(stream) if color is None else color
    return Console(
        file=stream,
        force_terminal=use_color,
        no_color=not use_color,
        color_system="standard" if use_color else None,
        width=width or (None if (use_color and is_tty(stream)) else PLAIN_WIDTH),
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def print_items(stream: TextIO, items: list, color: bool | None, width: int | None) -> None:
    """Print rich renderables to `stream`: coloured on a TTY (unless `color` says otherwise),
    else plain with no trailing whitespace."""
    use_color = is_tty(stream) if color is None else color
    if use_color:
        console = make_console(stream, True, width)
        for item in items:
            console.print(item)
        return
    # Plain: render to a buffer and drop the padding rich adds to fill the
    # width, so logs and golden files carry no trailing whitespace.
    buf = io.StringIO()
    console = make_console(buf, False, width)
    for item in items:
        console.print(item)
    stream.write("\n".join(line.rstrip() for line in buf.getvalue().split("\n")))
