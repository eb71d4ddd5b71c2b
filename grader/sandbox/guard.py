"""The worker's import guard: a `sys.meta_path` finder that refuses some top-level names.

Installed before any student code runs. The refusal is a ModuleNotFoundError
subclass, so a submission with an honest `try: import torch / except
ImportError:` fallback keeps working; an attempt whose error escapes the
student's code is reported as `forbidden-import`.

A file the course provides (`provided`: absolute paths, e.g. CS231n's fast_layers.py,
which imports torch) is not policed: a forbidden module it imports is never loaded, it gets
an empty stand-in whose first use raises `ProvidedCodeUnavailable`, so only the code that
really needs the module fails, and the student's files that import the provided one still
import. Stand-ins are dropped from sys.modules after each import (`forget_stand_ins`), so the
student's own `import torch` is still refused. Stdlib only.
"""

from __future__ import annotations

import sys
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Sequence

# Always refused: the grader itself, its reference solution and the worker's
# own modules (loaded by path under these private names).
ALWAYS_FORBIDDEN = ("grader", "reference")
PRIVATE_PREFIX = "_sandbox_"


class ForbiddenImportError(ModuleNotFoundError):
    pass


class ProvidedCodeUnavailable(ImportError):
    """Code the course provides used a module the grader does not load (e.g. torch)."""


class _StandIn(ModuleType):
    """What a provided file gets for a forbidden import: any attribute is another stand-in
    (so `from torch import nn` still imports), and calling one raises."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        child = _StandIn(f"{self.__name__}.{attr}")
        child.__dict__["_importer"] = self.__dict__.get("_importer", "?")
        return child

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ProvidedCodeUnavailable(
            f"the course's {self.__dict__.get('_importer', '?')} uses '{self.__name__}', which "
            "the grader does not load; this part cannot run here")


class _StandInLoader(Loader):
    def __init__(self, importer: str) -> None:
        self.importer = importer

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = _StandIn(spec.name)
        module.__dict__["_importer"] = self.importer
        module.__path__ = []  # `import torch.nn` from a provided file gets a stand-in too
        return module

    def exec_module(self, module: ModuleType) -> None:
        pass


class ImportGuard(MetaPathFinder):
    def __init__(self, forbidden: Sequence[str], provided: Sequence[str] = (), src_dir: str = "") -> None:
        self.forbidden = frozenset(forbidden) | frozenset(ALWAYS_FORBIDDEN)
        # Names refused since the last `take_attempts()`, in order.
        self.attempts: list[str] = []
        self.provided = frozenset(provided)  # absolute paths of the course's provided files
        self.src_dir = src_dir

    def find_spec(self, fullname: str, path: object = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.forbidden or top.startswith(PRIVATE_PREFIX):
            importer = self._provided_importer() if not top.startswith(PRIVATE_PREFIX) else None
            if importer is not None and top not in ALWAYS_FORBIDDEN:
                return ModuleSpec(fullname, _StandInLoader(importer), is_package=True)
            self.attempts.append(top)
            raise ForbiddenImportError(
                f"importing '{top}' is not allowed in this assignment", name=fullname)
        return None  # let the normal finders look

    def _provided_importer(self) -> str | None:
        """The provided file (relative path) whose import statement is running, else None:
        the first frame outside the import machinery is the importer."""
        if not self.provided:
            return None
        frame = sys._getframe(2)  # find_spec's caller: the import machinery
        while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = frame.f_back  # type: ignore[assignment]
        filename = frame.f_code.co_filename if frame is not None else ""
        return filename.replace(self.src_dir, "", 1) if filename in self.provided else None

    def forget_stand_ins(self) -> None:
        """Drop the stand-ins from sys.modules (the provided modules keep theirs), so a later
        `import torch` in the student's own code asks this guard again and is refused."""
        for name in [n for n, m in sys.modules.items() if isinstance(m, _StandIn)]:
            del sys.modules[name]

    def take_attempts(self) -> list[str]:
        attempts, self.attempts = self.attempts, []
        return attempts


def install(forbidden: Sequence[str], provided: Sequence[str] = (), src_dir: str = "") -> ImportGuard:
    """Put the guard first on sys.meta_path and forget already-imported forbidden modules.

    Dropping them from sys.modules matters: `import x` finds sys.modules
    entries without asking any finder. `provided`: absolute paths of the course's files.
    """
    guard = ImportGuard(forbidden, provided, src_dir)
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in guard.forbidden or top.startswith(PRIVATE_PREFIX):
            del sys.modules[name]
    sys.meta_path.insert(0, guard)
    return guard
