"""The docs a report, the README or a rubric points to are in the repository, and say what the
code does: docs/diagnoses.md lists exactly grader/vocabulary.py's ids and tags, and
docs/student-api.md names what reference/ and student_template/ define."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cli_helpers import REPO

from grader.vocabulary import DIAGNOSIS_IDS, TAGS

DOCS = REPO / "docs"
CATALOG = DOCS / "diagnoses.md"
STUDENT_API = DOCS / "student-api.md"


def _section(text: str, start: str, end: str | None = None) -> str:
    return text[text.index(start):text.index(end) if end else None]


def test_the_catalog_lists_every_diagnosis_id_and_nothing_else():
    ids = _section(CATALOG.read_text(), "## Diagnosis ids", "## Tags")
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", ids, re.M)
    assert len(listed) == len(set(listed)), "an id is listed twice"
    assert set(listed) == set(DIAGNOSIS_IDS), (sorted(set(DIAGNOSIS_IDS) - set(listed)),
                                               sorted(set(listed) - set(DIAGNOSIS_IDS)))


def test_the_catalog_lists_every_tag_and_nothing_else():
    rows = re.findall(r"^\| (`[^|]+) \|", _section(CATALOG.read_text(), "## Tags"), re.M)
    listed = [tag for row in rows for tag in re.findall(r"`([a-z0-9-]+)`", row)]
    assert set(listed) == set(TAGS), (sorted(set(TAGS) - set(listed)), sorted(set(listed) - set(TAGS)))


def test_every_catalog_row_says_what_it_means_and_where_to_look():
    for line in CATALOG.read_text().splitlines():
        if re.match(r"^\| `[a-z0-9-]+` \|", line) and "## Tags" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert all(cells), line


def _defined(path: Path) -> dict[str, set[str]]:
    """Top-level functions and classes of `path`, each class with its methods."""
    tree = ast.parse(path.read_text())
    out: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            out[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return out


def _documented() -> dict[str, dict[str, set[str]]]:
    """file -> name -> methods, from the code blocks under each `## file.py` heading."""
    text = STUDENT_API.read_text()
    out: dict[str, dict[str, set[str]]] = {}
    for file, body in re.findall(r"^## (\w+\.py)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        names: dict[str, set[str]] = {}
        current = None
        for block in re.findall(r"```python\n(.*?)```", body, re.S):
            for line in block.splitlines():
                if m := re.match(r"class (\w+)", line):
                    current = m.group(1)
                    names[current] = set()
                elif m := re.match(r"def (\w+)", line):
                    current = None
                    names[m.group(1)] = set()
                elif (m := re.match(r"\s+def (\w+)", line)) and current:
                    names[current].add(m.group(1))
        out[file] = names
    return out


@pytest.mark.parametrize("folder", ["reference", "student_template"])
def test_the_student_api_names_what_the_reference_and_the_template_define(folder):
    documented = _documented()
    assert set(documented) == {"layers.py", "losses.py", "optim.py", "network.py"}
    for file, names in documented.items():
        defined = _defined(REPO / folder / file)
        for name, methods in names.items():
            assert name in defined, f"{folder}/{file} has no {name}"
            assert methods <= defined[name], f"{folder}/{file}: {name} lacks {methods - defined[name]}"


def test_every_docs_path_the_repository_mentions_exists():
    sources = [REPO / "README.md", *(REPO / "rubrics").glob("*.toml"), *(REPO / "grader").rglob("*.py"),
               *(REPO / "student_template").glob("*")]
    mentioned = set()
    for path in sources:
        if path.is_file():
            mentioned |= set(re.findall(r"docs/[\w./-]+\.(?:md|py|png)", path.read_text()))
    assert {"docs/diagnoses.md"} <= mentioned
    missing = sorted(m for m in mentioned if not (REPO / m).is_file())
    assert not missing, missing
