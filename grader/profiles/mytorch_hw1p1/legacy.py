"""The older MyTorch conventions (autograder 2.0.x, S22-S23) are refused, not graded.

2.0.x activations have `backward()` without arguments returning dA/dZ, and
Linear divides dLdW by N: a 3.0.x grading would fail almost everything for
reasons that are the release's, not the student's. The submission's source is
*read* (parsed with `ast`, never run) on the grader's side to tell.
"""

from __future__ import annotations

import ast
from pathlib import Path

ACTIVATION_FILE = "mytorch/nn/activation.py"
_ELEMENTWISE = ("Sigmoid", "Tanh", "ReLU")


def backward_arities(source: str) -> dict[str, int]:
    """class name -> number of parameters of its `backward` besides self (classes that have one)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    arities: dict[str, int] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "backward":
                args = item.args
                if args.vararg is not None:
                    continue  # backward(self, *args) could be either
                arities[node.name] = len(args.posonlyargs) + len(args.args) - 1
    return arities


def refuse_legacy(folder: Path) -> str | None:
    """The refusal message for a 2.0.x submission, or None."""
    path = folder / ACTIVATION_FILE
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    arities = backward_arities(source)
    elementwise = [arities[name] for name in _ELEMENTWISE if name in arities]
    if len(elementwise) >= 2 and all(n == 0 for n in elementwise):
        return (f"{path} follows the MyTorch 2.0.x conventions (S22-S23: activation backward() "
                "without dLdA, dLdW divided by N), which grader does not grade; profile "
                "mytorch-hw1p1 is the 3.0.x handout (F23-S25): backward(dLdA) returns dLdZ")
    return None
