"""Exit codes of every `grader` command: the one place they are defined.

CI systems (Gradescope, GitHub Classroom, GitLab, Jenkins) only see the exit
status, so each code means exactly one thing:

====  =====================  ===================================================
code  name                   meaning
====  =====================  ===================================================
0     ``OK``                 graded (whatever the score, unless --fail-under)
1     ``BELOW_THRESHOLD``    graded, but the score is below ``--fail-under``
2     ``BAD_INPUT``          usage error or bad input: missing/empty submission
                             folder, invalid rubric, unknown format, unreadable
                             data. One line on stderr names the problem and the
                             fix; no report is written.
3     ``GRADER_FAILURE``     the grader itself failed. The report is still
                             written so the student sees a message instead of
                             a blank page: score 0 with the reason when the
                             whole run failed; when only some checks broke
                             (status "error"), the others are scored and the
                             broken checks' points are left out of the total.
====  =====================  ===================================================

A *student* bug (syntax error, crash, hang, wrong gradient) is never a non-zero
exit by itself: it is a graded result with diagnoses. Only ``--fail-under``
turns a low score into exit 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from grader.results import GradingResult

OK = 0
BELOW_THRESHOLD = 1
BAD_INPUT = 2
GRADER_FAILURE = 3


class GraderError(Exception):
    """The grader itself failed (not the student): exit 3, report written with score 0.

    `grader.runner.grade` raises it only for its own failures (a broken check
    module, a worker that cannot start, ...); student problems are results.
    """


class BadInput(click.ClickException):
    """Exit 2 with a one-line message that names the problem *and* the fix.

    Click prints ``Error: <message>`` without a usage block or traceback.
    """

    exit_code = BAD_INPUT


class GraderFailure(click.ClickException):
    """Exit 3, raised by the CLI after the report has already been written."""

    exit_code = GRADER_FAILURE

    def format_message(self) -> str:
        return f"the grader itself failed: {self.message}"


def exit_code_for(result: "GradingResult", fail_under: float | None, percent: float | None = None) -> int:
    """The exit code of a finished grading run.

    `fail_under` is a percentage of the maximum score (0-100), like
    ``coverage --fail-under``: a score strictly below it exits 1. A grader
    failure (``result.grader_error``, or any check in status "error") always
    wins and exits 3. `percent`: the figure to compare, the one the student's report shows
    (over the checks shown); default the total over every check.
    """
    if result.grader_error or any(check.status == "error" for check in result.checks):
        return GRADER_FAILURE
    seen = result.percent if percent is None else percent
    if fail_under is not None and seen < fail_under - 1e-9:
        return BELOW_THRESHOLD
    return OK
