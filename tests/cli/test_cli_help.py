"""Every command's --help has an example, and no help or listing line is wider than 100
columns; `grader --help` lists each command's summary whole (issue 22)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from grader.cli import HELP_WIDTH, cli


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


ALL = [(), *command_paths()]


def help_of(path: tuple[str, ...], columns: int) -> str:
    # COLUMNS is what the terminal's width reads from (shutil.get_terminal_size)
    done = CliRunner(env={"COLUMNS": str(columns)}).invoke(cli, [*path, "--help"])
    assert done.exit_code == 0, done.output
    return done.output


def test_every_command_is_covered():
    assert {p[0] for p in ALL if p} >= {"run", "check", "init", "batch", "class", "bundle", "profiles", "data"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "grader")
def test_help_has_an_example_of_the_command_itself(path):
    text = help_of(path, 100)
    assert "Example" in text, text
    example = text[text.index("Example"):].splitlines()[1].strip()
    assert example.startswith("grader " + " ".join(path)), example


@pytest.mark.parametrize("columns", [80, 100, 200])
@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "grader")
def test_no_help_line_is_wider_than_100_columns(path, columns):
    lines = help_of(path, columns).splitlines()
    assert max(len(line) for line in lines) <= min(columns, HELP_WIDTH), \
        max(lines, key=len)


@pytest.mark.parametrize("path", [p for p in ALL if not p or isinstance(
    cli.commands.get(p[0]) if len(p) == 1 else None, click.Group)], ids=lambda p: " ".join(p) or "grader")
def test_command_listings_are_never_truncated_at_80_columns(path):
    text = help_of(path, 80)
    listing = text[text.index("Commands:"):].splitlines()[1:]
    assert listing and not any(line.rstrip().endswith("...") for line in listing), listing


def test_profiles_listing_fits_100_columns():
    done = CliRunner().invoke(cli, ["profiles"])
    assert done.exit_code == 0
    lines = done.output.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith("mytorch-hw1p1: ") for line in lines)
    listing = " ".join(line.strip() for line in lines)
    # Every release a course profile grades is listed, so an instructor can name one in a rubric.
    from grader.profiles import all_profiles
    for profile in all_profiles():
        for release in profile.releases:
            assert release.name in listing, release.name
    # a wrapped description continues under its label's text, not at the margin
    assert all(line.startswith(("default", "mytorch", "cs231n", "    ")) for line in lines)
