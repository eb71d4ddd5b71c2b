"""The `grader` command line: parse, delegate, exit with a code from grader.exitcodes.

Commands::

    grader run SUBMISSION      grade one submission (instructors, CI)
    grader check [DIR]         the student's quick public self-check
    grader init DIR            start a submission from the student template
    grader batch DIR...        grade a class in parallel into a gradebook CSV and a class report
    grader class REPORTS_DIR   rebuild the class report from saved records
    grader bundle gradescope   build a Gradescope autograder zip
    grader data ...            download, cache and inspect MNIST

Rules kept everywhere: a user mistake is one line naming the problem and the
fix (exit 2); a broken grader still writes its report, with score 0 and the
reason (exit 3); nothing ever prints a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import textwrap
import traceback
from pathlib import Path
from typing import IO, Any

import click

import grader
from grader.exitcodes import GRADER_FAILURE, BadInput, GraderError, GraderFailure, exit_code_for
from grader.results import GradingResult
from grader.profiles import (PROFILE_NAMES, ProfileError, check_layout, get_profile, module_file,
                             package_parent)
from grader.rubric import Rubric, RubricError, load_rubric
from grader.scoring import cents_text

# When the `grader` process started (set by main()), so limits.run_timeout_s covers start-up;
# None when the commands are invoked in-process (tests): the limit counts from grading.
PROCESS_START: float | None = None

# The writers' names; grader.reports.FORMATS is authoritative when importable.
# Kept here too so `--help` and a usage error never import the report stack.
FORMATS: tuple[str, ...] = ("json", "junit", "markdown", "text", "html")
SELF_CHECK_FOOTER = (
    "This was the public self-check. Hidden checks (more examples, the full training run, "
    "the accuracy bar and the time budget) run at grading and may still fail."
)


# --------------------------------------------------------------------------- helpers


def _load_rubric(path: Path | str | None, profile: str | None = None) -> Rubric:
    """The rubric to grade with: `path`, else the built-in rubric of `profile`, else the default.

    With both, the rubric must be written for that profile (its `profile = "..."` key).
    """
    try:
        if path is None and profile is not None:
            return load_rubric(get_profile(profile).rubric)
        rubric = load_rubric(path)
    except (RubricError, ProfileError) as exc:
        raise BadInput(str(exc)) from None
    if profile is not None and rubric.profile != profile:
        raise BadInput(f"rubric {rubric.path or rubric.name} grades profile {rubric.profile}, not "
                       f"{profile}: drop --profile, or pass a rubric with profile = \"{profile}\"")
    return rubric


PROFILE_OPTION = click.option(
    "--profile", type=click.Choice(PROFILE_NAMES), default=None,
    help="The assignment's conventions (`grader profiles` lists them); picks its built-in rubric "
         "when --rubric is not given.")


VERBOSE_OPTION = click.option(
    "--verbose", "-v", is_flag=True,
    help="Text report: list every check, passing ones too (by default each component's "
         "passing checks fold into its one summary line).")


def _apply_data(rubric: Rubric, data: str | None) -> Rubric:
    """`--data` overrides training.dataset: a path must exist; a bare name is a data-set name."""
    if data is None:
        return rubric
    looks_like_path = any(sep in data for sep in ("/", "\\")) or Path(data).suffix != ""
    if looks_like_path and not Path(data).exists():
        raise BadInput(f"--data {data}: no such file or folder; pass an MNIST folder, an .npz file, "
                       f"or a data-set name such as 'embedded' or 'mnist'")
    value = str(Path(data).resolve()) if Path(data).exists() else data
    try:
        return rubric.with_overrides(**{"training.dataset": value})
    except RubricError as exc:
        raise BadInput(str(exc)) from None


def resolve_submission(path: Path, rubric: Rubric) -> Path:
    """The folder to grade; exits 2 with the fix when there is nothing to grade.

    Students often upload a zip of a *folder*, so Gradescope unpacks to
    submission/hw1/layers.py: when the top level holds no module but exactly one
    sub-folder does, that sub-folder is graded (and a note says so).
    """
    wanted = ", ".join(module_file(m) for m in rubric.modules)
    if not path.exists():
        raise BadInput(f"submission folder {path} does not exist; pass the folder that holds {wanted}")
    if not path.is_dir():
        hint = "unzip it first and pass the folder" if path.suffix == ".zip" else "pass the folder that holds it"
        raise BadInput(f"submission {path} is a file, not a folder; {hint}")
    # Another profile's layout, at the top, as its package or in a sub-folder: say which.
    _laid_out_for(path, rubric)
    if _has_modules(path, rubric.modules):
        return _with_notes(path, rubric)
    profile = get_profile(rubric.profile)
    try:
        parent = package_parent(path, profile)
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    if parent is not None:
        click.echo(f"note: grading {parent} ({path.name}/ is the package itself; its parent "
                   "holds it as the course imports it)", err=True)
        return _with_notes(_laid_out_for(parent, rubric), rubric)
    nested = [d for d in sorted(path.iterdir())
              if d.is_dir() and not d.name.startswith((".", "__")) and _has_modules(d, rubric.modules)]
    if len(nested) == 1:
        click.echo(f"note: grading {nested[0]} (the modules are in that sub-folder)", err=True)
        return _with_notes(_laid_out_for(nested[0], rubric), rubric)
    if len(nested) > 1:
        # A repository root holding several assignments (assignment1/, assignment2/): grading
        # one of them with the other's parts missing would mislead; name each folder instead.
        names = ", ".join(f"{d.name}/" for d in nested)
        flag = "" if rubric.profile == "default" else f" --profile {rubric.profile}"
        raise BadInput(f"{path} holds several assignments ({names}); grade each on its own, "
                       f"e.g. grader run {nested[0]}{flag}")
    if profile.packages:
        tops = "/, ".join(profile.top_packages())
        raise BadInput(f"{path} neither holds the package {tops}/ ({wanted}) nor is that package "
                       f"({', '.join(profile.package_files())}); pass the folder that holds {tops}/ "
                       f"or the {tops}/ folder itself")
    raise BadInput(f"{path} holds none of {wanted}; {_how_to_submit(path, wanted)}")


def _with_notes(folder: Path, rubric: Rubric) -> Path:
    """`folder`, after a note on each course-provided file it lacks (and whether that matters)."""
    missing = get_profile(rubric.profile).missing
    for note in missing(folder) if missing is not None else ():
        click.echo(f"note: {note}", err=True)
    return folder


#: Set by the Gradescope bundle's run_autograder: the student uploaded files and has no
#: shell on the machine, so a command to run there would only confuse them.
UPLOAD_ENV = "GRADER_SUBMITTED_BY_UPLOAD"


def _how_to_submit(path: Path, wanted: str) -> str:
    if os.environ.get(UPLOAD_ENV, "") not in ("", "0"):
        return (f"submit again and upload the files themselves ({wanted}), not an empty "
                "submission or a folder without them")
    return f"put them at the top of the folder (start one with `grader init {path}`)"


def _has_modules(folder: Path, modules: tuple[str, ...]) -> bool:
    return any((folder / module_file(m)).is_file() for m in modules)


def _laid_out_for(folder: Path, rubric: Rubric) -> Path:
    """`folder`, unless it is laid out for another profile (or a refused release): exit 2."""
    try:
        check_layout(folder, get_profile(rubric.profile))
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    return folder


def _prepare_output(output: Path | None) -> None:
    """Fail before grading (exit 2) rather than after, if the report cannot be written."""
    if output is None:
        return
    if output.is_dir():
        raise BadInput(f"--output {output} is a folder; pass a file name such as {output / 'results.json'}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--output {output}: cannot create its folder ({exc.strerror}); pick a writable path") from None


def _write_report(result: GradingResult, fmt: str, output: Path | None, *, show_hidden: bool = False,
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


def _summary_line(result: GradingResult, output: Path | None, show_hidden: bool = False) -> str:
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
        _write_report(partial, fmt, output, show_hidden=show_hidden, verbose=verbose)
        if summary is not None:
            _write_batch_summary(partial, summary)
        click.echo(f"{_summary_line(partial, output, show_hidden)} (the run's time limit was reached)", err=True)
        sys.stdout.flush()
        os._exit(exit_code_for(partial, None))

    try:
        result = runner.grade(submission, rubric, seed=seed, progress=progress, on_overrun=on_overrun,
                              started_at=PROCESS_START)
    except getattr(runner, "SubmissionError", ()) as exc:
        raise BadInput(str(exc)) from None
    except _data_error() as exc:
        raise BadInput(str(exc)) from None
    except GraderError as exc:
        error = str(exc) or type(exc).__name__
    except Exception as exc:  # a bug in the grader: report it as such, never a traceback
        error = f"unexpected {type(exc).__name__}: {exc}"
        _log_traceback()
    if error:
        result = GradingResult.from_grader_error(
            str(submission), error, rubric=str(rubric.path or rubric.name),
            seed=rubric.seed if seed is None else seed)
    try:
        _write_report(result, fmt, output, show_hidden=show_hidden, verbose=verbose)
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


def _echo_paragraph(paragraph: str) -> None:
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


def _log_traceback() -> None:
    """Keep the traceback for the grader's developers, without showing it to users."""
    if _debug_enabled():
        traceback.print_exc(file=sys.stderr)


def _debug_enabled() -> bool:
    import os

    return os.environ.get("GRADER_DEBUG", "") not in ("", "0")


# --------------------------------------------------------------------------- commands


# Help wraps at the terminal's width, at most HELP_WIDTH columns; every command's one-line
# summary in `grader --help` fits 80 columns whole (tests/cli/test_cli_help.py).
HELP_WIDTH = 100


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


@cli.command("run", short_help="Grade one submission folder and write a report.")
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
    rubric = _apply_data(_load_rubric(rubric_path, profile), data)
    submission = resolve_submission(submission, rubric)
    _prepare_output(output)
    result = grade_and_report(submission, rubric, fmt=fmt, output=output, seed=seed,
                              summary=batch_summary, show_hidden=show_hidden, verbose=verbose)
    # The report owns stdout when it is written there, so the summary goes to stderr.
    click.echo(_summary_line(result, output, show_hidden), err=True)
    # --fail-under compares the figure the student's report shows (over the checks shown).
    percent = _student_percent(result, show_hidden)
    code = exit_code_for(result, fail_under, percent)
    _explain_exit(result, code, fail_under, percent, show_hidden)
    sys.exit(code)


def _student_percent(result: GradingResult, show_hidden: bool) -> float:
    try:
        from grader.reports.text import student_percent

        return student_percent(result, show_hidden=show_hidden)
    except Exception:  # the report stack is broken (reported elsewhere): the total
        return result.percent


def _explain_exit(result: GradingResult, code: int, fail_under: float | None,
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


@cli.command("check", short_help="Self-check your submission: the public checks only.")
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
    # public_only is forced: a self-check must never reveal hidden checks.
    if rubric_path is None and profile in (None, "default"):
        rubric_path = "selfcheck"
    rubric = _load_rubric(rubric_path, profile).with_overrides(public_only=True)
    directory = resolve_submission(directory, rubric)
    result = grade_and_report(directory, rubric, fmt="text", output=None, seed=seed, verbose=verbose)
    click.echo("")
    _echo_paragraph(SELF_CHECK_FOOTER)
    code = exit_code_for(result, None)
    _explain_exit(result, code, None)
    sys.exit(code)


@cli.command("init", short_help="Start a submission from the student template.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init_cmd(directory: Path, force: bool) -> None:
    """Start a submission in DIRECTORY from the student template.

    \b
    Example:
        grader init my-mlp
    """
    template = student_template_dir()
    files = sorted(p for p in template.iterdir() if p.is_file() and not p.name.startswith("."))
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{directory} is a file; pass a folder name")
    clashes = [f.name for f in files if (directory / f.name).exists()]
    if clashes and not force:
        raise BadInput(f"{directory} already has {', '.join(clashes)}; keep your work, or pass --force "
                       f"to overwrite with the template")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copyfile(file, directory / file.name)
    except OSError as exc:
        raise BadInput(f"cannot write to {directory} ({exc.strerror}); pick a writable folder") from None
    click.echo(f"created {directory} with {', '.join(f.name for f in files)}")
    click.echo(f"next: implement the TODOs, then run `grader check {directory}`")


def student_template_dir() -> Path:
    package = Path(grader.__file__).resolve().parent
    # A source checkout keeps it beside the package; a wheel carries it inside.
    template = package.parent / "student_template"
    if not template.is_dir():
        template = package / "student_template"
    if not template.is_dir():
        raise BadInput(f"the student template is not installed ({template} is missing); "
                       f"install the grader from its source folder (pip install -e .)")
    return template


@cli.command("batch", short_help="Grade a class in parallel: gradebook CSV, class report.")
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

    rubric = _apply_data(_load_rubric(rubric_path, profile), data)
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


@cli.command("class", short_help="Rebuild the class report from saved records.")
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


@cli.group("bundle", short_help="Package the grader for an autograding platform.")
def bundle_group() -> None:
    """Package the grader for an autograding platform.

    \b
    Example:
        grader bundle gradescope --out autograder.zip
    """


@bundle_group.command("gradescope", short_help="Build a Gradescope autograder zip.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("autograder.zip"),
              show_default=True, help="Zip file to write.")
@click.option("--rubric", "rubric_path", metavar="RUBRIC", help="Rubric TOML file or built-in name.")
@click.option("--data", metavar="PATH",
              help="An MNIST .npz file or IDX folder to ship in the zip and grade with.")
@click.option("--solution", type=click.Path(file_okay=False, path_type=Path),
              help="A correct submission setup.sh must grade with full marks before the image is "
                   "used (default: the profile's own).")
@PROFILE_OPTION
def bundle_gradescope_cmd(out: Path, rubric_path: str | None, data: str | None,
                          solution: Path | None, profile: str | None) -> None:
    """Build a Gradescope autograder zip (setup.sh, run_autograder, rubric, grader source,
    and a correct solution for the image's smoke test).

    \b
    Example:
        grader bundle gradescope --profile mytorch-hw1p1 --out autograder.zip
    """
    from grader.bundle import BundleError, build_gradescope_bundle

    rubric = _load_rubric(rubric_path, profile)
    try:
        info = build_gradescope_bundle(out, rubric, data=Path(data) if data else None, solution=solution)
    except BundleError as exc:
        raise BadInput(str(exc)) from None
    click.echo(f"wrote {out} ({info.n_files} files, {info.size_bytes / 1e6:.1f} MB), rubric {rubric.name}")
    click.echo("upload it under Configure Autograder -> Zip file upload (Ubuntu base image)")


@cli.command("profiles", short_help="List the assignment profiles and what each expects.")
def profiles_cmd() -> None:
    """List the assignment profiles and what each expects of a submission.

    \b
    Example:
        grader profiles
    """
    from grader.profiles import all_profiles

    # Wrapped to HELP_WIDTH by words, continuation lines under their label's text.
    for profile in all_profiles():
        click.echo(_wrapped(f"{profile.name}: {profile.title}", " " * 4))
        click.echo(_wrapped(f"    expects: {profile.expects}", " " * 13))
        if profile.releases:
            # Which handouts a course folder may be: detected from its files, or set in the rubric.
            names = "; ".join(release.name for release in profile.releases)
            click.echo(_wrapped(f"    releases: {names} (detected; [conventions] release sets one)",
                                " " * 14))
        click.echo(_wrapped(f"    rubric:  {profile.rubric} (grader run SUB --profile {profile.name})", " " * 13))


def _wrapped(line: str, indent: str) -> str:
    return textwrap.fill(line, width=HELP_WIDTH, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)


def _attach_data_group() -> None:
    try:
        from grader.data.cli import data_group
    except Exception:  # a broken data package must not take `grader run` down with it
        return
    cli.add_command(data_group)


_attach_data_group()

from grader.handbook import docs_command  # noqa: E402 (`grader docs`: its own module)

cli.add_command(docs_command)


def main() -> None:
    """Console entry point (`grader`, `python -m grader`)."""
    global PROCESS_START
    PROCESS_START = time.monotonic()
    try:
        cli.main(prog_name="grader")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a grader bug outside a grading run: one line, exit 3, no traceback
        _log_traceback()
        click.echo(f"Error: the grader itself failed: unexpected {type(exc).__name__}: {exc} "
                   f"(set GRADER_DEBUG=1 for the traceback)", err=True)
        sys.exit(GRADER_FAILURE)
