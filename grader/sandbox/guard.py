"""The worker's import guard: a `sys.meta_path` finder that refuses some top-level names.

Installed before any student code runs. The refusal is a ModuleNotFoundError
subclass, so a submission with an honest `try: import torch / except
ImportError:` fallback keeps working; an attempt whose error escapes the
student's code is reported as `forbidden-import`. Stdlib only.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from types import ModuleType
from typing import Sequence

# Always refused: the grader itself, its reference solution and the worker's
# own modules (loaded by path under these private names).
ALWAYS_FORBIDDEN = ("grader", "reference")
PRIVATE_PREFIX = "_sandbox_"


class ForbiddenImportError(ModuleNotFoundError):
    pass


class ImportGuard(MetaPathFinder):
    def __init__(self, forbidden: Sequence[str]) -> None:
        self.forbidden = frozenset(forbidden) | frozenset(ALWAYS_FORBIDDEN)
        # Names refused since the last `take_attempts()`, in order.
        self.attempts: list[str] = []

    def find_spec(self, fullname: str, path: object = None, target: ModuleType | None = None) -> None:
        top = fullname.partition(".")[0]
        if top in self.forbidden or top.startswith(PRIVATE_PREFIX):
            self.attempts.append(top)
            raise ForbiddenImportError(
                f"importing '{top}' is not allowed in this assignment", name=fullname)
        return None  # let the normal finders look

    def take_attempts(self) -> list[str]:
        attempts, self.attempts = self.attempts, []
        return attempts


def install(forbidden: Sequence[str]) -> ImportGuard:
    """Put the guard first on sys.meta_path and forget already-imported forbidden modules.

    Dropping them from sys.modules matters: `import x` finds sys.modules
    entries without asking any finder.
    """
    guard = ImportGuard(forbidden)
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in guard.forbidden or top.startswith(PRIVATE_PREFIX):
            del sys.modules[name]
    sys.meta_path.insert(0, guard)
    return guard
