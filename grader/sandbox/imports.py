"""Which of the submission's modules import which, read from the source without running it.

The Sandbox imports a module's dependencies first, each on its own clock, so a
module that hangs at import is reported once, under its own name, and the
modules that import it fail at once instead of each waiting out the same hang.
`ast.parse` only parses: nothing in the student's source runs here.
"""

from __future__ import annotations

import ast
from pathlib import Path

MAX_PARSED_BYTES = 1 << 20


def module_imports(submission_dir: Path) -> dict[str, list[str]]:
    """{module: [other submission modules it imports at top level or anywhere]} for each top-level .py."""
    files = {p.stem: p for p in sorted(Path(submission_dir).glob("*.py"))
             if p.stem.isidentifier() and p.is_file() and not p.is_symlink()}
    found: dict[str, list[str]] = {}
    for name, path in files.items():
        try:
            source = path.read_bytes()[:MAX_PARSED_BYTES]
            tree = ast.parse(source, filename=path.name)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            found[name] = []  # the import itself will report the problem
            continue
        wanted: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                heads = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                heads = [node.module.split(".")[0]]
            else:
                continue
            wanted += [h for h in heads if h in files and h != name and h not in wanted]
        found[name] = wanted
    return found
