"""The documents reports, hints and rubrics point to, reachable from any install.

A report names diagnosis ids (docs/diagnoses.md says what each means); the default rubric and
the template point to the student contract (docs/student-api.md). In a source checkout they
are docs/; a wheel carries them as grader/docs/ (pyproject.toml), and `grader docs NAME`
(grader.commands.docs) prints one, so a student who installed the grader with pip reads the
same text offline.
"""

from __future__ import annotations

from pathlib import Path

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
