"""`grader run` (grade one submission, instructors and CI) and `grader check` (the student's self-check)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.commands.options import FORMATS, PROFILE_OPTION, VERBOSE_OPTION, apply_data, load_rubric_for
from grader.commands.reporting import echo_paragraph, grade_and_report, prepare_output, summary_line
from grader.commands.submission import resolve_submission
from grader.exitcodes import GRADER_FAILURE, exit_code_for
from grader.results import GradingResult

SELF_CHECK_FOOTER = (
    "This was the public self-check. Hidden checks (more examples, the full training run, "
    "the accuracy bar and the time budget) run at grading and may still fail."
)


@click.command("run", short_help="Grade one submission folder and write a report.")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_path", metavar="RUBRIC",
              help="Rubric TOML file, or a built-in name (default, selfcheck).  [default: default]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Override the rubric's seed (same seed, same report).")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Exit 1 if the score is below this percentage of the maximum.")
@click.option("--data", metavar="PATH",
              help="Data set for the training check: MNIST folder, .npz, or a name; overrides the rubric.")
@click.option("--show-hidden", is_flag=True,
              help="Staff view: include hidden checks in text/markdown/html/junit reports "
                   "(json always carries them; Gradescope enforces visibility).")
@VERBOSE_OPTION
@click.option("--batch-summary", type=click.Path(dir_okay=False, path_type=Path), hidden=True,
              help="(internal, used by `grader batch`) also write a JSON summary here.")
@PROFILE_OPTION
def run_cmd(submission: Path, rubric_path: str | None, fmt: str, output: Path | None,
            seed: int | None, fail_under: float | None, data: str | None,
            show_hidden: bool, verbose: bool, batch_summary: Path | None, profile: str | None) -> None:
    """Grade the SUBMISSION folder and write a report.

    The report goes to stdout, or to --output; a one-line score summary goes to
    stderr.

    \b
    Example (Gradescope's run_autograder):
        grader run /autograder/submission --format json \\
            -o /autograder/results/results.json
    """
    rubric = apply_data(load_rubric_for(rubric_path, profile), data)
    submission = resolve_submission(submission, rubric)
    prepare_output(output)
    result = grade_and_report(submission, rubric, fmt=fmt, output=output, seed=seed,
                              summary=batch_summary, show_hidden=show_hidden, verbose=verbose)
    # The report owns stdout when it is written there, so the summary goes to stderr.
    click.echo(summary_line(result, output, show_hidden), err=True)
    # --fail-under compares the figure the student's report shows (over the checks shown).
    percent = student_percent(result, show_hidden)
    code = exit_code_for(result, fail_under, percent)
    explain_exit(result, code, fail_under, percent, show_hidden)
    sys.exit(code)


def student_percent(result: GradingResult, show_hidden: bool) -> float:
    try:
        from grader.reports.text import student_percent

        return student_percent(result, show_hidden=show_hidden)
    except Exception:  # the report stack is broken (reported elsewhere): the total
        return result.percent


def explain_exit(result: GradingResult, code: int, fail_under: float | None,
                  percent: float | None = None, show_hidden: bool = False) -> None:
    """One line on stderr for a non-zero exit, so a CI log says why the job failed."""
    broken = [c.name for c in result.checks if c.status == "error"]
    # A withheld check is not named (a CI job log is the student's to read): only counted.
    named = [c.name for c in result.checks if c.status == "error" and (show_hidden or c.visibility == "visible")]
    if code == GRADER_FAILURE and broken:
        names = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "") if named else "withheld checks"
        click.echo(f"the grader itself failed in {len(broken)} check(s) ({names}); their points are left "
                   "out of the total. Please report it with the report attached.", err=True)
    elif code and fail_under is not None:
        seen = result.percent if percent is None else percent
        # 2 decimals: 89.96% must not read as the 90.0% a threshold of 90 rejects.
        click.echo(f"score {seen:.2f}% is below --fail-under {fail_under:g}%", err=True)


@click.command("check", short_help="Self-check your submission: the public checks only.")
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override the self-check's seed.")
@click.option("--rubric", "rubric_path", metavar="RUBRIC",
              help="Rubric TOML file or built-in name; only its public checks run.  "
                   "[default: selfcheck, or the profile's rubric]")
@VERBOSE_OPTION
@PROFILE_OPTION
def check_cmd(directory: Path, seed: int | None, rubric_path: str | None, verbose: bool,
              profile: str | None) -> None:
    """Run the quick public self-check on your submission (default: this folder).

    \b
    Example:
        grader check my-mlp
    """
    from grader.selfcheck import self_check_rubric

    builtin = rubric_path is None
    if builtin and profile in (None, "default"):
        rubric_path = "selfcheck"
    rubric = load_rubric_for(rubric_path, profile)
    # public_only is forced: a self-check must never reveal hidden checks. A built-in rubric
    # (a course profile's own) is held to the self-check's budget: fewer examples, less data.
    rubric = self_check_rubric(rubric) if builtin else rubric.with_overrides(public_only=True)
    directory = resolve_submission(directory, rubric)
    result = grade_and_report(directory, rubric, fmt="text", output=None, seed=seed, verbose=verbose)
    click.echo("")
    echo_paragraph(SELF_CHECK_FOOTER)
    code = exit_code_for(result, None)
    explain_exit(result, code, None)
    sys.exit(code)
