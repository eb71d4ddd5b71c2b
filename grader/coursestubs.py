"""Which functions of a course's handout are still its stubs, read from the source.

Our own template's stubs raise NotImplementedError (grader/checks/stubs.py). A course's
handout writes its stubs differently: MyTorch's methods set `self.W = None`, `Z = None  # TODO`
and `return NotImplemented`; CS231n's write `out = None`, a `pass` under "TODO" and
`return out, cache`, or `loss, grads = 0.0, {}`. Such a function runs without raising, so
only the source says that nothing is written yet.

A function is a course stub when everything it produces (what it returns, what it stores on
`self`) is a placeholder (None, NotImplemented, 0, an empty literal, or a name holding only
those) and nothing it produces is computed; passing an argument through (`self.Z = Z`,
`cache = (x, w, b)`) counts for neither. One line of real work (`Z = A @ self.W.T`) makes
it "written", so a partly written submission is graded as usual.
"""

from __future__ import annotations

import ast
from enum import Enum
from pathlib import Path
from typing import Iterable

from grader.checks.stubs import MAX_PARSED_BYTES, is_stub


class Kind(Enum):
    """What an expression holds, as far as a stub is concerned."""

    PLACEHOLDER = "placeholder"   # None, NotImplemented, 0, {}, or derived only from those
    PASSED = "passed"             # an argument (or part of one) passed through unchanged
    COMPUTED = "computed"         # anything else: real work


def combine(kinds: Iterable[Kind]) -> Kind:
    """Several values together (a tuple, or every value a name was given): computed if any
    is, else a placeholder if any is, else passed through."""
    kinds = list(kinds)
    if Kind.COMPUTED in kinds:
        return Kind.COMPUTED
    return Kind.PLACEHOLDER if Kind.PLACEHOLDER in kinds else Kind.PASSED


def _is_placeholder_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None or (type(node.value) in (int, float) and node.value == 0)
    if isinstance(node, ast.Name):
        return node.id == "NotImplemented"
    if isinstance(node, (ast.Dict, ast.List, ast.Set)):
        return not (node.keys if isinstance(node, ast.Dict) else node.elts)
    return False


def _target_key(node: ast.expr) -> str | None:
    """`x` -> "x", `self.W` -> "self.W", `self.params["W1"]` / `grads[k]` -> the container's key
    (storing into it changes what it holds); anything else None."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    if isinstance(node, ast.Attribute):  # self.l[i].W: an attribute of a stored item
        return _target_key(node.value)
    return None


class _Flow:
    """The kinds of a function's names, from its assignments (each name: all its values)."""

    def __init__(self, func: ast.FunctionDef | ast.AsyncFunctionDef):
        args = func.args
        self.arguments = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        self.arguments |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        self.values: dict[str, list[ast.expr | Kind]] = {}
        self.returns: list[ast.expr | None] = []
        self.stored: list[tuple[str, ast.expr | Kind]] = []   # (target key, value) of self.*
        self._looping_over: set[str] = set()
        self._walk(func.body)

    def _bind(self, target: ast.expr, value: ast.expr | Kind) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) \
                and len(value.elts) == len(target.elts) else [value] * len(target.elts)
            for item, item_value in zip(target.elts, values):
                self._bind(item, item_value)
            return
        if isinstance(target, ast.Starred):
            self._bind(target.value, value)
            return
        key = _target_key(target)
        # `for k, v in self.params.items(): self.params[k] = v.astype(dtype)` recasts what the
        # container already holds: it adds nothing to it.
        if key is None or (isinstance(target, ast.Subscript) and key in self._looping_over
                           and value is not Kind.COMPUTED):
            return
        # config["velocity"] = v, bn_param["running_mean"] = ...: state kept in an argument is
        # bookkeeping, not the function's result.
        root = key.split(".")[0]
        if isinstance(target, ast.Subscript) and root in self.arguments and root != "self" \
                and value is not Kind.COMPUTED:
            return
        self.values.setdefault(key, []).append(value)
        if key.startswith("self."):
            self.stored.append((key, value))

    def _walk(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self._bind(target, stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                self._bind(stmt.target, stmt.value)
            elif isinstance(stmt, ast.AugAssign):
                self._bind(stmt.target, Kind.COMPUTED)
            elif isinstance(stmt, ast.Return):
                self.returns.append(stmt.value)
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                self._bind(stmt.target, stmt.iter)
                container = stmt.iter.func.value if isinstance(stmt.iter, ast.Call) \
                    and isinstance(stmt.iter.func, ast.Attribute) else stmt.iter
                key = _target_key(container)
                added = key is not None and key not in self._looping_over
                if added:
                    self._looping_over.add(key)
                self._walk(stmt.body)
                if added:
                    self._looping_over.discard(key)
                self._walk(stmt.orelse)
            elif isinstance(stmt, (ast.If, ast.While)):
                self._walk(stmt.body)
                self._walk(stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                self._walk(stmt.body)
            elif isinstance(stmt, ast.Try):
                for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    self._walk(part)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and isinstance(stmt.value.func, ast.Attribute):
                # grads.update(...), history.append(loss): a method call changes its object.
                key = _target_key(stmt.value.func.value)
                if key is not None and key not in self.arguments:
                    self._bind(stmt.value.func.value, combine(
                        self.kind(a) for a in [*stmt.value.args, *(k.value for k in stmt.value.keywords)]))

    def kind(self, node: ast.expr | Kind | None, seen: frozenset[str] = frozenset()) -> Kind:
        if node is None:
            return Kind.PLACEHOLDER
        if isinstance(node, Kind):
            return node
        if _is_placeholder_constant(node):
            return Kind.PLACEHOLDER
        if isinstance(node, ast.Constant):
            return Kind.PASSED  # a setting ("train", 1e-2) is neither work nor a placeholder
        if isinstance(node, (ast.Tuple, ast.List)):
            return combine(self.kind(e, seen) for e in node.elts) if node.elts else Kind.PLACEHOLDER
        if isinstance(node, ast.Starred):
            return self.kind(node.value, seen)
        key = _target_key(node) if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) else None
        if key is not None:
            return self._name_kind(key, node, seen)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # v.astype(dtype), self.params.items(): a method of a placeholder is one too; of
            # the name being worked out (out = out.astype(...)), it adds nothing.
            owner = _target_key(node.func.value)
            if owner is not None and owner in seen:
                return Kind.PASSED
            if self.kind(node.func.value, seen) is Kind.PLACEHOLDER:
                return Kind.PLACEHOLDER
        if isinstance(node, ast.Call):
            # np.ones((self.N, 1)) while self.N is still None: built from a placeholder only.
            # (a literal argument is a setting: np.maximum(0, Z) is work)
            args = [Kind.PASSED if isinstance(a, ast.Constant) else self.kind(a, seen)
                    for a in [*node.args, *(k.value for k in node.keywords)]]
            if Kind.PLACEHOLDER in args and Kind.COMPUTED not in args:
                return Kind.PLACEHOLDER
        return Kind.COMPUTED

    def _name_kind(self, key: str, node: ast.expr, seen: frozenset[str]) -> Kind:
        if key in seen:
            return Kind.PASSED
        if key in self.values:
            kinds = [self.kind(v, seen | {key}) for v in self.values[key]]
            if key.split(".")[0] in self.arguments:  # an argument changed in place: not a product
                kinds.append(Kind.PASSED)
            return combine(kinds)
        root = key.split(".")[0]
        if root in self.arguments or root == "self":
            return Kind.PASSED  # an argument, or state the function did not set
        if isinstance(node, ast.Name) and node.id in ("True", "False"):
            return Kind.PASSED
        return Kind.COMPUTED  # a global or a module (np.pi): leave it to the checks

    def products(self, attributes: tuple[str, ...] | None = None) -> list[Kind]:
        """The kinds of what the function returns and of what it stores on self (only
        `attributes`, e.g. ("params",), when given)."""
        kinds = [self.kind(value) for value in self.returns]
        for key, value in self.stored:
            if attributes is None or key.split(".")[1] in attributes:
                kinds.append(self.kind(value))
        return kinds


def _only_pass(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that is a docstring and/or `pass` (and `...`) only."""
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in func.body)


def is_course_stub(func: ast.FunctionDef | ast.AsyncFunctionDef,
                   attributes: tuple[str, ...] | None = None) -> bool:
    """Whether `func` is still a stub, ours (raise NotImplementedError) or a course's (see the
    module's docstring). `attributes`: which attributes of self are its product when it
    stores more (FullyConnectedNet.__init__: "params")."""
    if is_stub(func) or _only_pass(func):
        return True
    products = _Flow(func).products(attributes)
    return Kind.PLACEHOLDER in products and Kind.COMPUTED not in products


def definitions(path: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] | None:
    """Top-level functions, classes and methods of `path` by name ("affine_forward",
    "Linear", "Linear.forward"); None when the file cannot be read or parsed."""
    try:
        tree = ast.parse(Path(path).read_bytes()[:MAX_PARSED_BYTES], filename=Path(path).name)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found[node.name] = node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = item
    return found
