"""What a submission's source says, read on the grader's side with `ast` (never run): used
where the course's autograder tests how code is written, not what it returns (the S25 and S26
builds forbid np.tanh in Tanh.forward)."""

from __future__ import annotations

import ast
from pathlib import Path


def _method(tree: ast.Module, cls: str, method: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item
    return None


def calls_in_method(folder: Path, file: str, cls: str, method: str, function: str) -> list[int]:
    """Line numbers where `cls.method` in `folder/file` calls `function` (as np.function,
    numpy.function, or a bare name imported from NumPy); [] when the file does not parse."""
    try:
        tree = ast.parse((Path(folder) / file).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    found = _method(tree, cls, method)
    if found is None:
        return []
    imported = {alias.asname or alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "numpy"
                for alias in node.names if alias.name == function}
    lines = []
    for node in ast.walk(found):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Attribute) and target.attr == function:
            lines.append(node.lineno)
        elif isinstance(target, ast.Name) and target.id in imported:
            lines.append(node.lineno)
    return sorted(lines)
