"""`grader batch` (grade a class into a gradebook and a class report) and `grader class` (rebuild that report)."""

from __future__ import annotations

from pathlib import Path

import click

from grader.commands.options import PROFILE_OPTION, apply_data, load_rubric_for
from grader.exitcodes import BadInput, GraderFailure


@click.command("batch", short_help="Grade a class in parallel: gradebook CSV, class report.")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded at the same time.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("gradebook.csv"),
              show_default=True, help="Gradebook CSV to write.")
@click.option("--rubric", "rubric_path", metavar="RUBRIC", help="Rubric TOML file or built-in name.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep each submission's JSON report (and log) here.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Wall time per submission before it is killed and scored 0 "
                   "[default: the rubric's limits.run_timeout_s + 60].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override the rubric's seed.")
@click.option("--data", metavar="PATH", help="Data set for the training check; overrides the rubric.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Grade on a Dask cluster (e.g. tcp://host:8786; needs pip install 'nn-grader[dask]') "
                   "instead of --jobs local processes.")
@PROFILE_OPTION
def batch_cmd(dirs: tuple[Path, ...], jobs: int, out: Path, rubric_path: str | None,
              reports_dir: Path | None, timeout: float | None, seed: int | None, data: str | None,
              scheduler: str | None, profile: str | None) -> None:
    """Grade many submissions in parallel into a gradebook CSV and a class report.

    Each DIR is a submission, or a folder with one sub-folder per submission.
    Every submission is graded in its own process: one that crashes or hangs
    gets a row with its error and score 0, and never affects the others.
    The class report (class.html, class.json) goes into --reports-dir, or
    beside the gradebook without it.

    \b
    Example:
        grader batch submissions/ --jobs 4 --reports-dir reports/
    """
    from grader.batch import BatchError, run_batch

    rubric = apply_data(load_rubric_for(rubric_path, profile), data)
    try:
        summary = run_batch(list(dirs), rubric=rubric, jobs=jobs, out=out, reports_dir=reports_dir,
                            timeout_s=timeout, seed=seed, data=data, scheduler=scheduler,
                            echo=lambda line: click.echo(line, err=True))
    except BatchError as exc:
        raise BadInput(str(exc)) from None
    click.echo(summary.describe())
    click.echo(f"class report: {summary.class_html}")
    if summary.grader_failures:
        raise GraderFailure(f"{summary.grader_failures} submission(s) hit a grader failure; "
                            f"see the 'error' column of {out}")


@click.command("class", short_help="Rebuild the class report from saved records.")
@click.argument("reports_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for class.html and class.json [default: REPORTS_DIR].")
def class_cmd(reports_dir: Path, out_dir: Path | None) -> None:
    """Rebuild the class report from the records a `grader batch --reports-dir` saved
    (no re-grading).

    \b
    Example:
        grader class reports/ --out class-report/
    """
    from grader.records import RecordError
    from grader.reports.classreport import rebuild_class_report

    try:
        report = rebuild_class_report(reports_dir, out_dir)
    except RecordError as exc:
        raise BadInput(str(exc)) from None
    except OSError as exc:
        raise BadInput(f"cannot write the class report ({exc.strerror}: {exc.filename}); pick a writable --out") from None
    f = report.figures
    click.echo(f"class report of {f.n_submissions} submissions ({f.n_graded} graded): {report.html}")
