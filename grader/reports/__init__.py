"""Report writers: one module per output format, all over the one results model.

    write_report(result, "json", "/autograder/results/results.json")
    write_report(result, "text", sys.stdout)          # colour if stdout is a TTY
    text = render(result, "markdown")

Formats: json (Gradescope results.json), junit (GitLab/Jenkins), markdown
(CI step summary), text (terminal), html (one self-contained file with plots).

Shared by the writers: sanitize (student text made safe, scores rounded), view (the view
model), build (the view built from a result), cards (one card per root cause and its
wording), labels (headings and labels), firstrun_view (the first-run report).

Visibility: `after_due_date` / `published` say whether checks with those
Gradescope visibilities may be shown now; "hidden" checks are never shown to
students. The json writer passes every test through with its own visibility
(Gradescope enforces it) and applies the flags only to the top-level output;
the other writers drop checks the student may not see yet, unless
`show_hidden=True` (staff runs).
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO, Union

from grader.results import GradingResult

if TYPE_CHECKING:
    from grader.reports.gradescope import to_gradescope, validate_gradescope
    from grader.reports.progress import ProgressReporter


__all__ = [
    "FORMATS",
    "ProgressReporter",
    "prepare_writers",
    "render",
    "to_gradescope",
    "validate_gradescope",
    "write_report",
]

# junit, markdown and html render the visibility-filtered view; json and text
# take the result itself (json keeps every test, text adds colour).
_VIEW_FORMATS = ("junit", "markdown", "html")
# Each writer (and rich, which the text writer and the progress bar use) is imported when
# first used: a grading run's start-up imports none of them, and its end only the one it
# writes (`prepare_writers` imports them while a run waits for its other check session).
_WRITERS = {"json": "gradescope", "junit": "junit", "markdown": "markdown", "text": "text", "html": "html"}
FORMATS = tuple(_WRITERS)
_LAZY = {"ProgressReporter": "progress", "to_gradescope": "gradescope", "validate_gradescope": "gradescope"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"grader.reports.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _writer(fmt: str) -> Any:
    return importlib.import_module(f"grader.reports.{_WRITERS[fmt]}")


def _render_view(fmt: str, result: GradingResult, flags: dict[str, bool]) -> str:
    from grader.reports.build import build_view

    render_view: Callable[[Any], str] = _writer(fmt).render_view
    return render_view(build_view(result, **flags))


def prepare_writers(*formats: str) -> None:
    """Import the writers of `formats` (default: all) now, so that writing later costs no import."""
    for fmt in formats or FORMATS:
        _writer(fmt)
    if not formats or any(fmt in _VIEW_FORMATS for fmt in formats):
        importlib.import_module("grader.reports.build")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render(
    result: GradingResult,
    fmt: str,
    *,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
) -> str:
    """The report as a string (the text format without colour)."""
    _check_format(fmt)
    flags = dict(after_due_date=after_due_date, published=published, show_hidden=show_hidden)
    if fmt in _VIEW_FORMATS:
        return _render_view(fmt, result, flags)
    render_result: Callable[..., str] = _writer(fmt).render
    return render_result(result, **flags)


def _umask() -> int:
    # The only portable way to read the umask is to set it and put it back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomically(path: Path, content: str) -> None:
    # Write-then-rename, so a crash or a timeout kill never leaves a half-written
    # results.json that the platform would reject.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes the file 0600; a report is an ordinary output file, readable
        # by the group (TAs, the CI runner) as the umask allows: 0666 minus umask.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_report(
    result: GradingResult,
    fmt: str,
    stream_or_path: Union[str, "os.PathLike[str]", TextIO],
    *,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,
    color: bool | None = None,
    verbose: bool = False,
) -> None:
    """Write the report in format `fmt` to a path (atomically, UTF-8) or an open text stream.

    `color` and `verbose` (list passing checks too) apply to the text format only:
    color None = colour iff the stream is a TTY.
    """
    _check_format(fmt)
    flags = dict(after_due_date=after_due_date, published=published, show_hidden=show_hidden)
    is_path = isinstance(stream_or_path, (str, os.PathLike))
    if fmt == "text" and not is_path:
        _writer("text").write(result, stream_or_path, color=color, verbose=verbose, **flags)
        return
    if fmt == "json":
        from grader.reports import gradescope
        from grader.reports.sanitize import clean_line

        try:
            content = gradescope.render(result, **flags)
        except Exception as exc:
            # results.json must exist and be valid even when building it fails
            # (a missing file makes Gradescope show only "autograder failed"),
            # but the caller must still learn that the grader broke: write a
            # score-0 report naming the reason, then re-raise.
            obj = gradescope.fallback(f"{type(exc).__name__}: {exc}", clean_line(getattr(result, "submission", "")))
            _emit(stream_or_path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
            raise
    elif fmt == "text":
        content = _writer("text").render(result, color=bool(color), verbose=verbose, **flags)
    else:
        content = _render_view(fmt, result, flags)
    _emit(stream_or_path, content)


def _emit(stream_or_path: Union[str, "os.PathLike[str]", TextIO], content: str) -> None:
    if isinstance(stream_or_path, (str, os.PathLike)):
        _write_atomically(Path(stream_or_path), content)
    else:
        stream_or_path.write(content)
        flush = getattr(stream_or_path, "flush", None)
        if flush is not None:
            flush()
