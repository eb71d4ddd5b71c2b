"""`grader bundle gradescope`: package the grader as an autograder for a platform."""

from __future__ import annotations

from pathlib import Path

import click

from grader.commands.options import PROFILE_OPTION, load_rubric_for
from grader.exitcodes import BadInput


@click.group("bundle", short_help="Package the grader for an autograding platform.")
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

    rubric = load_rubric_for(rubric_path, profile)
    try:
        info = build_gradescope_bundle(out, rubric, data=Path(data) if data else None, solution=solution)
    except BundleError as exc:
        raise BadInput(str(exc)) from None
    click.echo(f"wrote {out} ({info.n_files} files, {info.size_bytes / 1e6:.1f} MB), rubric {rubric.name}")
    click.echo("upload it under Configure Autograder -> Zip file upload (Ubuntu base image)")
