"""The folder to grade: where the modules are, and a one-line fix when nothing is there (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from grader.exitcodes import BadInput
from grader.profiles import ProfileError, check_layout, get_profile, module_file, package_parent
from grader.rubric import Rubric


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
