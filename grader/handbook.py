"""The documents reports, hints and rubrics point to, reachable from any install.

A report names diagnosis ids (docs/diagnoses.md says what each means); the default rubric and
the template point to the student contract (docs/student-api.md). In a source checkout they
are docs/; a wheel carries them as grader/docs/ (pyproject.toml), and `grader docs NAME`
prints one, so a student who installed the grader with pip reads the same text offline.
"""

from __future__ import annotations

from pathlib import Path

import click

#: name -> (file under docs/, what it is: one line for `grader docs`).
DOCUMENTS: dict[str, tuple[str, str]] = {
    "student-api": ("student-api.md", "the default profile's contract: classes, methods, shapes"),
    "diagnoses": ("diagnoses.md", "what each tag and diagnosis id in a report means"),
    "mytorch-hw1p1": ("courses/mytorch-hw1p1.md", "how the MyTorch profile grades each release"),
}


def docs_dir() -> Path:
    """grader/docs/ in an installed wheel, else the checkout's docs/ beside grader/."""
    package = Path(__file__).resolve().parent
    installed = package / "docs"
    return installed if (installed / DOCUMENTS["diagnoses"][0]).is_file() else package.parent / "docs"


def document(name: str) -> str:
    """The text of document `name` (a key of DOCUMENTS)."""
    return (docs_dir() / DOCUMENTS[name][0]).read_text(encoding="utf-8")


@click.command("docs", short_help="Print a document a report or rubric points to.")
@click.argument("name", required=False, metavar="[NAME]", type=click.Choice(sorted(DOCUMENTS)))
def docs_command(name: str | None) -> None:
    """Print the document NAME (Markdown), or list them without NAME.

    Reports name diagnosis ids and rubrics point to the student contract; these are the
    same documents as the repository's docs/ folder, shipped with the grader.

    \b
    Example:
        grader docs diagnoses | less
    """
    if name is None:
        width = max(map(len, DOCUMENTS))
        for key, (file, what) in DOCUMENTS.items():
            click.echo(f"{key:<{width}}  {what} ({file})")
        return
    try:
        click.echo(document(name), nl=False)
    except OSError as exc:
        raise click.ClickException(f"cannot read {DOCUMENTS[name][0]} ({exc.strerror}); "
                                   "reinstall the grader (pip install --force-reinstall nn-grader)") from exc
