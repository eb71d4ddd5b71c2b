"""The worker's import guard: a `sys.meta_path` finder that refuses some top-level names.

Installed before any student code runs. The refusal is a ModuleNotFoundError
subclass, so a submission with an honest `try: import torch / except
ImportError:` fallback keeps working; an attempt whose error escapes the
student's code is reported as `forbidden-import`.

A file the course provides (`provided`: absolute paths, e.g. CS231n's fast_layers.py,
which imports torch) is not policed: a forbidden module it imports is never loaded, it gets
an empty stand-in whose first use raises `ProvidedCodeUnavailable`, so only the code that
really needs the module fails, and the student's files that import the provided one still
import. Likewise a provided file the submission lacks, or one that raises when imported,
becomes a stand-in for what it does not define, naming the file when used. Stand-ins
are dropped from sys.modules after each import (`forget_stand_ins`), so the
student's own `import torch` is still refused. Stdlib only.
"""

from __future__ import annotations

import os
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
    """What stands for code the worker cannot load: any attribute is another stand-in (so
    `from torch import nn` still imports), and calling one raises, saying why (`_why`)."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        child = _StandIn(f"{self.__name__}.{attr}")
        child.__dict__["_why"] = self.__dict__.get("_why", "cannot run here")
        return child

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ProvidedCodeUnavailable(f"'{self.__name__}' {self.__dict__.get('_why', 'cannot run here')}")


class _StandInLoader(Loader):
    def __init__(self, why: str) -> None:
        self.why = why

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = _StandIn(spec.name)
        module.__dict__["_why"] = self.why
        module.__path__ = []  # `import torch.nn` from a provided file gets a stand-in too
        return module

    def exec_module(self, module: ModuleType) -> None:
        pass


class _ForgivingLoader(Loader):
    """Loads a provided file; if it raises, the module becomes a stand-in for what it did not
    define, so the student's files that import it still import."""

    def __init__(self, inner: Any, file: str) -> None:
        self.inner, self.file = inner, file

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        try:
            self.inner.exec_module(module)
        except Exception as exc:  # the course's own file: never the student's fault
            module.__class__ = _StandIn
            module.__dict__["_why"] = (f"comes from the course's {self.file}, which cannot be imported "
                                       f"here ({type(exc).__name__}: {exc}); this part cannot run")


class ImportGuard(MetaPathFinder):
    def __init__(self, forbidden: Sequence[str], provided: Sequence[str] = (), src_dir: str = "") -> None:
        self.forbidden = frozenset(forbidden) | frozenset(ALWAYS_FORBIDDEN)
        # Names refused since the last `take_attempts()`, in order.
        self.attempts: list[str] = []
        self.provided = frozenset(provided)  # absolute paths of the course's provided files
        self.src_dir = src_dir
        # "cs231n.fast_layers" -> its absolute path, for the files that are modules.
        self.provided_modules = {
            path.replace(src_dir, "", 1).removesuffix(".py").replace(os.sep, "."): path
            for path in provided if path.endswith(".py") and not path.endswith("__init__.py")}

    def find_spec(self, fullname: str, path: object = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.forbidden or top.startswith(PRIVATE_PREFIX):
            importer = self._provided_importer() if not top.startswith(PRIVATE_PREFIX) else None
            if importer is not None and top not in ALWAYS_FORBIDDEN:
                why = (f"is used by the course's {importer}, but the grader does not load "
                       f"'{top}'; this part cannot run here")
                return ModuleSpec(fullname, _StandInLoader(why), is_package=True)
            self.attempts.append(top)
            raise ForbiddenImportError(
                f"importing '{top}' is not allowed in this assignment", name=fullname)
        if fullname in self.provided_modules:
            return self._provided_spec(fullname, path, target)
        return None  # let the normal finders look

    def _provided_spec(self, fullname: str, path: Any, target: Any) -> ModuleSpec | None:
        """A provided file the submission lacks: a stand-in saying so; one it has: loaded
        so that its failure only costs what uses it."""
        file = self.provided_modules[fullname]
        shown = file.replace(self.src_dir, "", 1)
        if not os.path.isfile(file):
            return ModuleSpec(fullname, _StandInLoader(
                f"comes from the course's {shown}, which the submission does not have: put the "
                "course's file back"), is_package=False)
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _ForgivingLoader(spec.loader, shown)
                return spec
        return None

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
