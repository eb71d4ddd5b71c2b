"""Calls the courses' NumPy 1.x accepted and the grader's NumPy refuses, accepted again in the
worker (student side only), and tiny stand-ins for the Python-2 compatibility packages some
handouts import (`past.builtins`, `future`).

A profile lists the shims it needs by name (`Profile.numpy_compat`, `Profile.handout_imports`);
nothing here is applied otherwise. The list is explicit and small: each entry says which NumPy
removed what. Loaded into the worker by path (as `_sandbox_compat`): stdlib + numpy only.
"""

from __future__ import annotations

import functools
import sys
import types
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from typing import Any, Callable

import numpy as np


def _reshape_newshape() -> None:
    original = np.reshape

    @functools.wraps(original)
    def reshape(a: Any, *args: Any, newshape: Any = None, **kwargs: Any) -> Any:
        if newshape is not None and not args and "shape" not in kwargs:
            return original(a, newshape, **kwargs)
        return original(a, *args, **kwargs)

    np.reshape = reshape  # type: ignore[assignment]


def _builtin_type_aliases() -> None:
    for name, value in (("float", float), ("int", int), ("complex", complex), ("object", object),
                        ("str", str)):
        if name not in np.__dict__:
            setattr(np, name, value)


def _removed_function_aliases() -> None:
    for name, value in (("product", np.prod), ("cumproduct", np.cumprod), ("alltrue", np.all),
                        ("sometrue", np.any)):
        if name not in np.__dict__:
            setattr(np, name, value)


#: name -> (what the course's NumPy accepted and which NumPy removed it, the shim).
NUMPY_COMPAT: dict[str, tuple[str, Callable[[], None]]] = {
    "reshape-newshape": ("np.reshape(a, newshape=...): the keyword was deprecated in NumPy 2.1 "
                         "and removed in 2.4 (use shape=)", _reshape_newshape),
    "builtin-type-aliases": ("np.float, np.int, np.complex, np.object, np.str: removed in "
                             "NumPy 1.24 (use float, int, ...)", _builtin_type_aliases),
    "removed-function-aliases": ("np.product, np.cumproduct, np.alltrue, np.sometrue: removed "
                                 "in NumPy 2.0 (use prod, cumprod, all, any)",
                                 _removed_function_aliases),
}


def apply_numpy_compat(names: list[str] | tuple[str, ...]) -> None:
    """Install the named shims (unknown names are the grader's bug: KeyError)."""
    for name in names:
        NUMPY_COMPAT[name][1]()


# -- Python 2 compatibility packages a handout imports ------------------------------------


def _past_builtins() -> dict[str, Any]:
    return {"xrange": range, "basestring": str, "unicode": str, "long": int, "unichr": chr,
            "raw_input": input, "reduce": functools.reduce, "intern": sys.intern}


def _future_standard_library() -> dict[str, Any]:
    return {"install_aliases": lambda: None}


def _future_builtins() -> dict[str, Any]:
    import builtins

    return {name: getattr(builtins, name) for name in ("range", "object", "str", "int", "zip", "map",
                                                        "filter", "input", "open", "round", "bytes",
                                                        "dict", "list", "super", "next", "chr", "pow")}


#: module name -> its attributes, for the stand-ins (packages have an empty dict of their own).
STAND_INS: dict[str, Callable[[], dict[str, Any]]] = {
    "past": dict,
    "past.builtins": _past_builtins,
    "future": dict,
    "future.builtins": _future_builtins,
    "future.standard_library": _future_standard_library,
}


class _StandInLoader(Loader):
    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name, "a stand-in supplied by the grader (not installed)")
        module.__dict__.update(STAND_INS[spec.name]())
        if spec.name in ("past", "future"):
            module.__path__ = []  # a package: its submodules are looked up here too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class StandInFinder(MetaPathFinder):
    """Last on sys.meta_path: found only when the real package is not installed."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname in STAND_INS and fullname.partition(".")[0] in self.allowed:
            return ModuleSpec(fullname, _StandInLoader(), is_package=fullname in ("past", "future"))
        return None


def install_stand_ins(handout_imports: list[str] | tuple[str, ...]) -> None:
    """Supply `past` / `future` stand-ins when the handout imports them and they are missing."""
    allowed = {name.partition(".")[0] for name in handout_imports} & {"past", "future"}
    if allowed:
        sys.meta_path.append(StandInFinder(allowed))
