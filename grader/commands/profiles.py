"""`grader profiles`: the assignment profiles and what each expects of a submission."""

from __future__ import annotations

import textwrap

import click

from grader.commands.options import HELP_WIDTH


@click.command("profiles", short_help="List the assignment profiles and what each expects.")
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
