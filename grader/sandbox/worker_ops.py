"""The worker's object table and the requests it serves on it (inside the sandboxed child).

StudentOps is the half of the Worker (worker.py) that touches the student's code: it
keeps the student's objects behind handles, imports the submission's modules and runs
one request of each op ("new", "call", "method", ...). The Worker adds the loop around
it: decoding requests, deferred requests, plans, output markers and replies.

Loaded by path inside the worker like worker.py (see supervisor.py).
"""

from __future__ import annotations

import importlib
import sys
import traceback
import types
from typing import Any, Callable

import numpy as np

try:
    from . import channel, spy
    from .watch import array_arguments
    from .worker_errors import (ErrorReports, _describe, _file_of, _ImportFailed, _Missing, _short,
                                _stand_in, _StaleRef, _Usage)
except ImportError:  # loaded by path inside the worker, outside the grader package
    import _sandbox_channel as channel  # type: ignore[no-redef]
    import _sandbox_spy as spy  # type: ignore[no-redef]
    from _sandbox_watch import array_arguments  # type: ignore[no-redef]
    from _sandbox_worker_errors import (ErrorReports, _describe, _file_of,  # type: ignore[no-redef]
                                        _ImportFailed, _Missing, _short, _stand_in, _StaleRef, _Usage)

_ndarray = np.ndarray

# Requests whose top-level array arguments are watched for in-place changes (input mutation).
_WATCHED_OPS = frozenset({"call", "method", "call_keep", "method_keep", "new"})

_ABSENT = object()


class StudentOps(ErrorReports):
    """The object table and one method per op; the Worker sets the attributes below."""

    src_dir: str  # the submission's folder, ending in os.sep
    guard: Any  # the import guard (guard.py)
    table: dict[int, Any]
    ids: dict[int, int]  # id(obj) -> handle id, so one object keeps one handle
    next_id: int
    spies: dict[tuple[int, str], Any]
    modules: dict[str, Any]
    blocked_targets: list[dict[str, str]]
    ops: dict[str, Callable[[dict[str, Any]], Any]]  # op_table(), what locate_write re-runs

    def op_table(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        """Each op's name -> the function that runs one request of it."""
        return {
            "ping": lambda r: None,
            "import": self.op_import,
            # The module itself as an object: its functions can then be spied on like methods.
            "module": lambda r: self.module(r["module"]),
            "new": self.op_new,
            "call": self.op_call,
            "method": self.op_method,
            "getattr": self.op_getattr,
            "setattr": self.op_setattr,
            "hasattr": self.op_hasattr,
            "module_has": self.op_module_has,
            "release": lambda r: None,
            "spy": self.op_spy,
            "spy_log": self.op_spy_log,
            "block": self.op_block,
            # A plain attribute holder the grader fills (e.g. a `model` whose `layers` an
            # optimiser walks); nothing of the student's runs to build it.
            "namespace": lambda r: types.SimpleNamespace(**r["kwargs"]),
            # A function whose result is a tuple with opaque parts (CS231n's `(out, cache)`):
            # the parts named in "keep" stay here behind handles, the rest cross as data.
            "call_keep": self.op_call_keep,
            # The same for a method (CS231n's `net.loss(X, y)`: its grads stay here).
            "method_keep": self.op_method_keep,
            # A dict living here (CS231n's bn_param): the student's in-place edits stay visible.
            "mapping": lambda r: self.handle_of(dict(r["kwargs"])),
            # Re-run a call with its arrays read-only: where the student's code writes to them.
            "locate_write": self.op_locate_write,
        }

    # ------------------------------------------------------------ object table

    def handle_of(self, obj: Any) -> channel.Handle:
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None or self.table.get(hid) is not obj:
            hid = self.next_id
            self.next_id += 1
            self.table[hid] = obj
            self.ids[key] = hid
        return channel.Handle(hid, _type_name(obj))

    def release(self, ids: Any) -> None:
        if type(ids) is not list:
            return
        for hid in ids:
            obj = self.table.pop(hid, None) if type(hid) is int else None
            if obj is not None:
                self.ids.pop(id(obj), None)
                for key in [k for k in self.spies if k[0] == id(obj)]:
                    del self.spies[key]

    def lookup(self, hid: int, type_name: str) -> Any:
        if hid not in self.table:
            raise _StaleRef(f"object #{hid} ({type_name}) no longer exists in the worker")
        return self.table[hid]

    def to_wire(self, obj: Any) -> Any:
        """`default` hook of the encoder: any value that is not plain data."""
        t = type(obj)
        if isinstance(obj, _ndarray):
            raise channel.EncodeError(
                f"returned a {t.__name__} (a subclass of numpy.ndarray); return a plain numpy array")
        for attr in ("__array__", "__array_interface__", "__array_struct__"):
            if hasattr(t, attr):
                raise channel.EncodeError(
                    f"returned a {t.__name__} object that poses as an array; return a plain numpy array")
        if isinstance(obj, complex):
            raise channel.EncodeError("returned a complex number; use float64", "dtype")
        if isinstance(obj, (int, float, str)):
            raise channel.EncodeError(
                f"returned a {t.__name__}, a subclass of {t.__mro__[1].__name__}; return a plain value")
        return self.handle_of(obj)

    # ------------------------------------------------------------ student code

    def module(self, name: Any) -> Any:
        # Dotted names are a package's modules (mytorch.nn.linear), imported as the student does.
        if type(name) is not str or not all(part.isidentifier() for part in name.split(".")):
            raise _Usage(f"bad module name {name!r}")
        mod = self.modules.get(name)
        if mod is None:
            loaded = set(sys.modules)
            try:
                mod = importlib.import_module(name)
            except BaseException as exc:  # SyntaxError, SystemExit, anything raised at import
                self.forget_partial_imports(loaded)
                raise _ImportFailed(name, exc) from None
            finally:
                self.guard.forget_stand_ins()
            if not (getattr(mod, "__file__", None) or "").startswith(self.src_dir):
                raise _Missing(f"the submission has no module {_file_of(name)}")
            self.modules[name] = mod
            if self.blocked_targets:
                self.apply_blocks()
        return mod

    def forget_partial_imports(self, loaded: set[str]) -> None:
        """Drop the submission's modules a failed import left behind: a package's submodule
        imported before its __init__.py failed would otherwise import the next time, and the
        same submission would grade differently depending on the order of the checks."""
        for key in set(sys.modules) - loaded:
            if (getattr(sys.modules[key], "__file__", None) or "").startswith(self.src_dir):
                del sys.modules[key]

    def attr(self, owner: Any, name: Any, what: str) -> Any:
        if type(name) is not str:
            raise _Usage(f"bad attribute name {name!r}")
        try:
            return getattr(owner, name)
        except AttributeError:
            raise _Missing(f"{what} has no attribute '{name}'") from None

    def callable_attr(self, owner: Any, name: Any, what: str) -> Any:
        fn = self.attr(owner, name, what)
        if not callable(fn):
            raise _Missing(f"{what}.{name} is not callable")
        return fn

    def op_import(self, req: dict[str, Any]) -> Any:
        self.module(req["module"])
        return None

    def op_new(self, req: dict[str, Any]) -> Any:
        mod = self.module(req["module"])
        cls = self.callable_attr(mod, req["name"], _file_of(req["module"]))
        return cls(*req["args"], **req["kwargs"])

    def op_call(self, req: dict[str, Any]) -> Any:
        mod = self.module(req["module"])
        fn = self.callable_attr(mod, req["name"], _file_of(req["module"]))
        return fn(*req["args"], **req["kwargs"])

    def op_call_keep(self, req: dict[str, Any]) -> Any:
        return self.kept_parts(self.op_call(req), req["keep"])

    def op_method_keep(self, req: dict[str, Any]) -> Any:
        return self.kept_parts(self.op_method(req), req["keep"])

    def kept_parts(self, result: Any, keep: Any) -> Any:
        """`result`'s parts at the positions `keep` as handles (kept here), the rest as data;
        keep "whole": the result itself as a handle (rows of a data set kept here)."""
        if keep == "whole":
            return self.handle_of(result)
        if type(result) is not tuple and type(result) is not list:
            return result  # not a tuple: sent as it is, the caller names the wrong return
        return [self.handle_of(part) if i in keep else part for i, part in enumerate(result)]

    def op_method(self, req: dict[str, Any]) -> Any:
        obj = req["h"]
        fn = self.callable_attr(obj, req["name"], _type_name(obj))
        return fn(*req["args"], **req["kwargs"])

    def op_getattr(self, req: dict[str, Any]) -> Any:
        obj = req["h"]
        if "default" in req:  # like getattr(obj, name, default): only AttributeError means absent
            if type(req["name"]) is not str:
                raise _Usage(f"bad attribute name {req['name']!r}")
            return getattr(obj, req["name"], req["default"])
        return self.attr(obj, req["name"], _type_name(obj))

    def op_setattr(self, req: dict[str, Any]) -> Any:
        setattr(req["h"], req["name"], req["value"])
        return None

    def op_hasattr(self, req: dict[str, Any]) -> Any:
        # hasattr runs student properties: an exception other than AttributeError is the student's.
        return hasattr(req["h"], req["name"])

    def op_module_has(self, req: dict[str, Any]) -> Any:
        """[defined, callable] for a module-level name (imports the module)."""
        mod = self.module(req["module"])
        if type(req["name"]) is not str:
            raise _Usage(f"bad attribute name {req['name']!r}")
        value = getattr(mod, req["name"], _ABSENT)
        return [value is not _ABSENT, value is not _ABSENT and callable(value)]

    def op_spy(self, req: dict[str, Any]) -> Any:
        obj = req["h"]
        try:
            spy.install(obj, req["name"], self.spies)
        except AttributeError as exc:
            raise _Missing(f"cannot watch {_type_name(obj)}.{req['name']}: {exc}") from None
        return None

    def op_spy_log(self, req: dict[str, Any]) -> Any:
        found = self.spies.get((id(req["h"]), req["name"]))
        if found is None:
            raise _Usage(f"no spy on {_type_name(req['h'])}.{req['name']}; call spy() first")
        return found.take()

    def op_locate_write(self, req: dict[str, Any]) -> Any:
        """Run the request `req["call"]` (a call/method/new request) with its top-level array
        arguments read-only; NumPy then raises at the student's line that writes to one. Returns
        {"file", "line", "code", "message"} of the innermost submission frame, or None when the
        call wrote nothing (or failed for another reason)."""
        inner = req.get("call")
        if type(inner) is not dict or inner.get("op") not in _WATCHED_OPS:
            raise _Usage("locate_write needs a call, method, call_keep or new request")
        for _key, array in array_arguments(inner):
            array.flags.writeable = False
        try:
            self.ops[str(inner["op"])](inner)
        except ValueError as exc:
            if "read-only" not in _describe(exc):
                return None
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.startswith(self.src_dir)]
            if not frames:
                return None
            where = frames[-1]
            return {"file": where.filename.replace(self.src_dir, ""), "line": where.lineno or 0,
                    "code": _short((where.line or "").strip(), 160), "message": _describe(exc)}
        except BaseException:
            return None
        return None

    def op_block(self, req: dict[str, Any]) -> Any:
        targets = req.get("targets")
        if type(targets) is not list or not all(
                type(t) is dict and all(type(k) is str and type(v) is str for k, v in t.items())
                and "label" in t and "attr" in t for t in targets):
            raise _Usage("block targets must be a list of {label, attr, type | module} dicts")
        self.blocked_targets = targets
        self.apply_blocks()
        return None

    def student_modules(self) -> list[Any]:
        return [m for m in list(sys.modules.values())
                if (getattr(m, "__file__", None) or "").startswith(self.src_dir)]

    def apply_blocks(self) -> None:
        """Put a stand-in that raises _Blocked where each blocked function is looked up."""
        modules = self.student_modules()
        for target in self.blocked_targets:
            stand_in = _stand_in(target["label"])
            attr = target["attr"]
            if "type" in target:
                for mod in modules:
                    for obj in list(vars(mod).values()):
                        if isinstance(obj, type) and obj.__name__ == target["type"]:
                            try:
                                setattr(obj, attr, stand_in)
                            except BaseException:
                                pass  # a class that refuses new attributes stays as it is
            elif "module" in target:
                home = sys.modules.get(target["module"])
                original = getattr(home, attr, None) if home is not None else None
                if original is None:
                    continue
                # `from losses import softmax` binds the name elsewhere too: replace every binding.
                for mod in modules:
                    for key, value in list(vars(mod).items()):
                        if value is original:
                            setattr(mod, key, stand_in)


def _type_name(obj: Any) -> str:
    try:
        return str(type(obj).__name__)[:100]
    except BaseException:
        return "?"

