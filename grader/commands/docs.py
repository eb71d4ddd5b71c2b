"""`grader docs [NAME]`: print a document a report, hint or rubric points to (grader.handbook)."""

from __future__ import annotations

import click

from grader.handbook import DOCUMENTS, document


@click.command("docs", short_help="Print a document a report or rubric points to.")
@click.argument("name", required=False, metavar="[NAME]", type=click.Choice(sorted(DOCUMENTS)))
def docs_cmd(name: str | None) -> None:
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
