"""The `grader` command line: parse, delegate, exit with a code from grader.exitcodes.

Commands::

    grader run SUBMISSION      grade one submission (instructors, CI)
    grader check [DIR]         the student's quick public self-check
    grader init DIR            start a submission from the student template
    grader batch DIR...        grade a class in parallel into a gradebook CSV and a class report
    grader class REPORTS_DIR   rebuild the class report from saved records
    grader bundle gradescope   build a Gradescope autograder zip
    grader data ...            download, cache and inspect MNIST
    grader profiles            list the assignment profiles and what each expects
    grader docs [NAME]         print a document a report or rubric points to

Rules kept everywhere: a user mistake is one line naming the problem and the
fix (exit 2); a broken grader still writes its report, with score 0 and the
reason (exit 3); nothing ever prints a traceback.

This module assembles the command group; each command lives in grader.commands.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import NoReturn

from grader.threads import one_blas_thread

one_blas_thread(os.environ)  # before anything below imports NumPy (grader.threads says why)

import click  # noqa: E402

import grader
from grader.commands import reporting
from grader.commands.bundle import bundle_group
from grader.commands.classes import batch_cmd, class_cmd
from grader.commands.docs import docs_cmd
from grader.commands.grade import check_cmd, run_cmd
from grader.commands.options import HELP_WIDTH
from grader.commands.profiles import profiles_cmd
from grader.commands.template import init_cmd
from grader.exitcodes import GRADER_FAILURE, OK

__all__ = ["HELP_WIDTH", "cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": HELP_WIDTH})
@click.version_option(grader.__version__, prog_name="grader")
def cli() -> None:
    """Autograder for neural networks written from scratch in NumPy.

    \b
    Examples:
        grader init my-mlp && grader check my-mlp
        grader run SUBMISSION --format html -o report.html

    Exit codes: 0 graded, 1 below --fail-under, 2 bad input, 3 the grader failed.
    """


for command in (run_cmd, check_cmd, init_cmd, batch_cmd, class_cmd, bundle_group, profiles_cmd, docs_cmd):
    cli.add_command(command)


def _attach_data_group() -> None:
    try:
        from grader.data.cli import data_group
    except Exception:  # a broken data package must not take `grader run` down with it
        return
    cli.add_command(data_group)


_attach_data_group()

def main() -> NoReturn:
    """Console entry point (`grader`, `python -m grader`): run the command, then end the
    process with its exit code at once (`exit_now`)."""
    exit_now(run_command())


def run_command() -> int:
    """Run the command sys.argv names in this process; its exit code (grader.exitcodes)."""
    reporting.PROCESS_START = time.monotonic()
    try:
        cli.main(prog_name="grader")
    except SystemExit as exc:  # click's standalone mode always ends this way
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a grader bug outside a grading run: one line, exit 3, no traceback
        reporting.log_traceback()
        click.echo(f"Error: the grader itself failed: unexpected {type(exc).__name__}: {exc} "
                   f"(set GRADER_DEBUG=1 for the traceback)", err=True)
        return GRADER_FAILURE
    return OK


def _exit_code(code: object) -> int:
    """The status `sys.exit(code)` would end the process with (a message is printed, as there)."""
    if code is None:
        return OK
    if isinstance(code, int):
        return code
    click.echo(str(code), err=True)
    return 1


def exit_now(code: int) -> NoReturn:
    """End the process with `code`, doing what interpreter exit does for the user (exit
    handlers, other threads finished, output flushed) but not its teardown: freeing every
    module and object of NumPy, pytest and Hypothesis one by one costs ~0.09 s, a twentieth
    of a self-check, and changes nothing anyone sees."""
    # In interpreter exit's order: threading's own exit calls (an executor not shut down tells
    # its idle workers to stop), the wait for non-daemon threads, then the exit handlers.
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # a closed or replaced stream: nothing left to write
    os._exit(code & 0xFF)
