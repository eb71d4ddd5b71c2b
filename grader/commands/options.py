"""What several commands share: the --profile and --verbose options, the rubric to grade with, --data."""

from __future__ import annotations

from pathlib import Path

import click

from grader.exitcodes import BadInput
from grader.profiles import PROFILE_NAMES, ProfileError, get_profile
from grader.rubric import Rubric, RubricError, load_rubric

# Help wraps at the terminal's width, at most HELP_WIDTH columns; every command's one-line
# summary in `grader --help` fits 80 columns whole (tests/cli/test_cli_help.py).
HELP_WIDTH = 100

# The writers' names; grader.reports.FORMATS is authoritative when importable.
# Kept here too so `--help` and a usage error never import the report stack.
FORMATS: tuple[str, ...] = ("json", "junit", "markdown", "text", "html")


def load_rubric_for(path: Path | str | None, profile: str | None = None) -> Rubric:
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


def apply_data(rubric: Rubric, data: str | None) -> Rubric:
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
