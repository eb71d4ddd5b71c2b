"""`grader init`: start a submission from the student template."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

import grader
from grader.exitcodes import BadInput


@click.command("init", short_help="Start a submission from the student template.")
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
