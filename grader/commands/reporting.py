"""Grade one submission in this process and write its report; a broken grader still writes one.

Shared by `grader run` and `grader check`: the report goes to stdout or a file,
a grader failure becomes a score-0 report with the reason (exit 3), and the
report stack is imported only when a report is written.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import IO, Any

import click

from grader.exitcodes import BadInput, GraderError, GraderFailure, exit_code_for
from grader.results import GradingResult
from grader.rubric import Rubric
from grader.scoring import cents_text

# When the `grader` process started (set by grader.cli.main), so limits.run_timeout_s covers
# start-up; None when the commands are invoked in-process (tests): the limit counts from grading.
PROCESS_START: float | None = None


def prepare_output(output: Path | None) -> None:
    """Fail before grading (exit 2) rather than after, if the report cannot be written."""
    if output is None:
        return
    if output.is_dir():
        raise BadInput(f"--output {output} is a folder; pass a file name such as {output / 'results.json'}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--output {output}: cannot create its folder ({exc.strerror}); pick a writable path") from None


def write_report_or_fallback(result: GradingResult, fmt: str, output: Path | None, *, show_hidden: bool = False,
                  verbose: bool = False) -> None:
    """Write with grader.reports; if that fails, fall back to a minimal report and raise GraderError."""
    try:
        from grader.reports import write_report

        if output is None:
            stream = _TrackingStream(sys.stdout)
            write_report(result, fmt, stream, show_hidden=show_hidden, verbose=verbose)
            if stream.last not in ("", "\n"):
                stream.write("\n")  # so the stderr summary starts on its own line in a terminal
            sys.stdout.flush()
        else:
            write_report(result, fmt, output, show_hidden=show_hidden, verbose=verbose)
    except Exception as exc:  # the report writer is part of the grader: its failure is exit 3
        reason = f"the {fmt} report could not be written ({type(exc).__name__}: {exc})"
        _write_minimal_report(result, fmt, output, reason)
        raise GraderError(reason) from exc


class _TrackingStream:
    """A stdout proxy that remembers the last character written (isatty etc. pass through)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.last = ""

    def write(self, text: str) -> int:
        if text:
            self.last = text[-1]
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _write_minimal_report(result: GradingResult, fmt: str, output: Path | None, reason: str) -> None:
    """Last resort when grader.reports is broken: Gradescope-shaped JSON, or one line of text.

    Gradescope shows "autograder failed" on a missing results.json; a score-0
    report with the reason is what the student and the instructor need instead.
    """
    reason = result.grader_error or reason
    if fmt == "json":
        failed = GradingResult.from_grader_error(result.submission, reason, rubric=result.rubric, seed=result.seed)
        try:
            from grader.reports.gradescope import to_gradescope

            obj = to_gradescope(failed)
        except Exception:  # the writer module itself is broken: hand-made, still valid results.json
            obj = {"score": 0.0, "execution_time": 0.0, "output": f"The grader itself failed: {reason}",
                   "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
                   "extra_data": {"grader_error": reason}, "tests": []}
        text = json.dumps(obj, indent=2) + "\n"
    else:
        text = f"score 0.00 / {cents_text(result.max_score)}: the grader itself failed: {reason}\n"
    try:
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            output.write_text(text, encoding="utf-8")
    except OSError:
        pass  # nothing left to try; the caller still exits 3 with the reason


def _progress(stream: IO[str]) -> Any:
    """Progress on stderr: a live bar on a terminal, a few plain lines in CI logs (proof of life)."""
    try:
        from grader.reports import ProgressReporter

        return ProgressReporter(stream=stream)
    except Exception:  # progress is cosmetic: never let it stop a grading run
        return None


def _prepare_writer(fmt: str) -> None:
    """Import the report writer of `fmt` (and the summary line's) before the report is due."""
    from grader.reports import FORMATS, prepare_writers

    prepare_writers(*sorted({fmt, "text"} & set(FORMATS)))


def summary_line(result: GradingResult, output: Path | None, show_hidden: bool = False) -> str:
    """The score on one line, worded and rounded as the text report words it."""
    where = f" -> {output}" if output is not None else ""
    try:
        from grader.reports.text import summary_line

        return summary_line(result, show_hidden=show_hidden, where=where)
    except Exception:  # the report stack is broken (its failure is reported elsewhere): the bare total
        return f"score {cents_text(result.score)} / {cents_text(result.max_score)} ({result.percent:.1f}%){where}"


def _write_batch_summary(result: GradingResult, path: Path) -> None:
    """The whole result as JSON, which `grader batch` turns into the submission's record
    (hidden option; our own format, lossless: statuses, tags, diagnoses, artifacts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")


def grade_and_report(submission: Path, rubric: Rubric, *, fmt: str, output: Path | None,
                     seed: int | None, summary: Path | None = None, show_hidden: bool = False,
                     verbose: bool = False) -> GradingResult:
    """Grade, then write the report; a grader failure still writes a score-0 report.

    Raises GraderFailure (exit 3) after writing, BadInput (exit 2) before grading.
    """
    from grader import runner  # looked up at call time so tests can monkeypatch runner.grade

    error: str = ""
    progress = _progress(sys.stderr)

    def on_overrun(partial: GradingResult) -> None:
        # The watchdog's last resort: the main thread is stuck past the run's limit.
        write_report_or_fallback(partial, fmt, output, show_hidden=show_hidden, verbose=verbose)
        if summary is not None:
            _write_batch_summary(partial, summary)
        click.echo(f"{summary_line(partial, output, show_hidden)} (the run's time limit was reached)", err=True)
        sys.stdout.flush()
        os._exit(exit_code_for(partial, None))

    try:
        result = runner.grade(submission, rubric, seed=seed, progress=progress, on_overrun=on_overrun,
                              started_at=PROCESS_START, while_waiting=lambda: _prepare_writer(fmt))
    except getattr(runner, "SubmissionError", ()) as exc:
        raise BadInput(str(exc)) from None
    except _data_error() as exc:
        raise BadInput(str(exc)) from None
    except GraderError as exc:
        error = str(exc) or type(exc).__name__
    except Exception as exc:  # a bug in the grader: report it as such, never a traceback
        error = f"unexpected {type(exc).__name__}: {exc}"
        log_traceback()
    if error:
        result = GradingResult.from_grader_error(
            str(submission), error, rubric=str(rubric.path or rubric.name),
            seed=rubric.seed if seed is None else seed)
    try:
        write_report_or_fallback(result, fmt, output, show_hidden=show_hidden, verbose=verbose)
    except GraderError as exc:
        error = error or str(exc)
    if summary is not None:
        try:
            _write_batch_summary(result, summary)
        except OSError as exc:
            error = error or f"cannot write {summary}: {exc.strerror}"
    if error:
        if output is not None:
            click.echo(f"report written to {output} (score 0)", err=True)
        raise GraderFailure(error)
    return result


def echo_paragraph(paragraph: str) -> None:
    """A paragraph on stdout, wrapped by words like the report above it (plain echo if that fails)."""
    try:
        from grader.reports.text import write_paragraph

        write_paragraph(sys.stdout, paragraph)
    except Exception:  # cosmetic: an unwrapped line is still the right text
        click.echo(paragraph)


def _data_error() -> tuple[type[BaseException], ...]:
    try:
        from grader.data.errors import DataError
    except Exception:
        return ()
    return (DataError,)


def log_traceback() -> None:
    """Keep the traceback for the grader's developers, without showing it to users."""
    if _debug_enabled():
        traceback.print_exc(file=sys.stderr)


def _debug_enabled() -> bool:
    import os

    return os.environ.get("GRADER_DEBUG", "") not in ("", "0")
