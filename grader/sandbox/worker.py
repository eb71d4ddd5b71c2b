"""The worker: runs the student's code, inside the sandboxed child process.

Started by the supervisor (see supervisor.py), after hardening and before
any student code. It serves requests from the grader one at a time over the
channel, keeps the student's objects in a table and answers with plain data
or Handles to table entries. Everything the student can do wrong ends in an
"err" response the grader turns into a typed StudentFailure; the worker only
exits on EOF, on a sys.exit from student code, or when killed.

Requests:   {"op": ..., "seq": n, "free": [handle ids to drop], "before": [deferred requests], ...}
Responses:  {"seq": n, "ok": value} | {"seq": n, "err": {...}} | {"seq": n, "err": {...}, "at": i}
"before" holds requests the grader did not wait for (setattr), run first and in order;
the first one that fails is answered with its error and its index "at", and nothing after
it runs.

A plan, {"op": "plan", "steps": [request, ...], "mark": text}, is a sequence of requests
run back to back, each answered as it finishes with its own response plus "step": its
index (and "marked": true once its output is closed by the marker, below). The first step
that fails is the last one answered. A step may name the object an earlier step returned
as {"on": index} instead of "h". Each step's output ends with `mark` written to the output
pipe, so the grader, still reading step k's reply while step k+1 prints, can tell whose
output is whose.

Beside it, loaded the same way: worker_errors.py (the error reports), watch.py (the
argument watch).
"""

from __future__ import annotations

import faulthandler
import importlib
import os
import signal
import sys
import traceback
import types
from typing import Any, Callable

import numpy as np

try:
    from . import channel, compat, guard, spy
    from .watch import ArgumentWatch, array_arguments
    from .worker_errors import (ErrorReports, _describe, _file_of, _ImportFailed, _Missing, _short,
                                _stand_in, _StaleRef, _Usage)
except ImportError:  # loaded by path inside the worker, outside the grader package
    import _sandbox_channel as channel  # type: ignore[no-redef]
    import _sandbox_compat as compat  # type: ignore[no-redef]
    import _sandbox_guard as guard  # type: ignore[no-redef]
    import _sandbox_spy as spy  # type: ignore[no-redef]
    from _sandbox_watch import ArgumentWatch, array_arguments  # type: ignore[no-redef]
    from _sandbox_worker_errors import (ErrorReports, _describe, _file_of,  # type: ignore[no-redef]
                                        _ImportFailed, _Missing, _short, _stand_in, _StaleRef, _Usage)

# Requests come from the grader, which is trusted; the cap only bounds mistakes.
MAX_REQUEST_BYTES = 1 << 31

_ndarray = np.ndarray
_default_rng = np.random.default_rng

# Requests whose top-level array arguments are watched for in-place changes (input mutation).
_WATCHED_OPS = frozenset({"call", "method", "call_keep", "new"})
# Requests the grader may defer to travel in another's "before" list (their reply is None).
_DEFERRABLE_OPS = frozenset({"setattr"})
# Requests a plan may hold (not a plan itself, nor the grader's own bookkeeping).
_PLAN_OPS = frozenset({"new", "call", "method", "getattr", "setattr", "call_keep"})


_ABSENT = object()


class _DiscardedOutput:
    """sys.stdout / sys.stderr once the run's output budget is spent: counts, keeps nothing."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self) -> None:
        self.count = 0

    def write(self, text: Any) -> int:
        try:
            n = len(text)
        except BaseException:
            n = 0
        self.count += n
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1  # fd 1 points at /dev/null by then


class Worker(ErrorReports):
    def __init__(self, chan_r: int, chan_w: int, src_dir: str, import_guard: Any,
                 hello: dict[str, Any]) -> None:
        self.chan_r = chan_r
        self.chan_w = chan_w
        self.src_dir = src_dir.rstrip(os.sep) + os.sep
        self.guard = import_guard
        self.hello = hello
        self.table: dict[int, Any] = {}
        self.ids: dict[int, int] = {}  # id(obj) -> handle id, so one object keeps one handle
        self.next_id = 1
        self.spies: dict[tuple[int, str], Any] = {}
        self.watch = ArgumentWatch()
        self.modules: dict[str, Any] = {}
        self.exit_after_reply = False
        self.blocked_targets: list[dict[str, str]] = []
        self.discarded: _DiscardedOutput | None = None
        self.deferred_at: int | None = None  # the "before" request running (run_deferred)
        # The output pipe as the worker found it (the student may redirect fd 1): where a
        # plan's step markers go.
        try:
            self.mark_fd: int | None = os.dup(1)
        except OSError:
            self.mark_fd = None
        self.ops: dict[str, Callable[[dict[str, Any]], Any]] = {
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
        result = self.op_call(req)
        keep = req["keep"]
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

    def mute(self) -> None:
        """The run's output budget is spent: the student's output goes to /dev/null from now on."""
        if self.discarded is not None:
            return
        self._flush_student_output()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        self.discarded = _DiscardedOutput()
        sys.stdout = sys.stderr = self.discarded  # type: ignore[assignment]

    # ------------------------------------------------------------ loop

    def send(self, value: Any, mark: bytes | None = None) -> None:
        """Send a response; `mark`: first close the step's output with it (see the docstring)."""
        self._flush_student_output()
        if self.discarded is not None and self.discarded.count and type(value) is dict:
            value["discarded"], self.discarded.count = self.discarded.count, 0
        if mark is not None:
            value["marked"] = True
        parts = channel.encode(value, self.to_wire)  # EncodeError before the marker is written
        if mark is not None and not self.mark_output(mark):
            del value["marked"]
            parts = channel.encode(value, self.to_wire)
        channel.write_frame_blocking(self.chan_w, parts)

    def mark_output(self, mark: bytes) -> bool:
        """Write `mark` to the output pipe (one write, under PIPE_BUF: never interleaved)."""
        if self.mark_fd is None:
            return False
        try:
            return os.write(self.mark_fd, mark) == len(mark)
        except OSError:
            return False

    def _flush_student_output(self) -> None:
        # Whatever the student printed must reach the output pipe before the
        # reply reaches the channel, so the grader attributes it to this call.
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()  # type: ignore[union-attr]
            except BaseException:
                pass

    def run_deferred(self, before: Any) -> None:
        """Run the requests of a "before" list in order; `self.deferred_at` is the index of the
        one running (None once all have run), for the error reply of the one that fails."""
        if type(before) is not list:
            raise _Usage("'before' must be a list of requests")
        for index, earlier in enumerate(before):
            self.deferred_at = index
            if type(earlier) is not dict or earlier.get("op") not in _DEFERRABLE_OPS:
                raise _Usage("only setattr requests may be deferred")
            self.ops[earlier["op"]](earlier)
        self.deferred_at = None

    def handle(self, payload: bytearray) -> None:
        seq = None
        self.deferred_at = None
        self.guard.take_attempts()
        try:
            req = channel.decode(payload, on_handle=self.lookup, on_rng=_default_rng, copy_arrays=False)
            if type(req) is not dict:
                raise _Usage("request is not a dict")
            seq = req.get("seq")
            if req.get("mute") is True:
                self.mute()
            self.release(req.get("free"))
            if "before" in req:
                self.run_deferred(req["before"])
            if req.get("op") == "plan":
                steps, mark = self.plan_of(req)
            else:
                result, mutated = self.perform(req)
        except BaseException as exc:  # the student's code may raise anything
            reply = {"seq": seq, "err": self.failure(exc, self.guard.take_attempts())}
            if self.deferred_at is not None:
                reply["at"] = self.deferred_at  # a deferred request failed, not this one
            del exc
            self.send(reply)
            return
        if req.get("op") == "plan":
            self.run_plan(seq, steps, mark)
        else:
            self.answer({"seq": seq}, result, mutated)

    def perform(self, req: Any) -> tuple[Any, list[Any] | None]:
        """Run one request: (its result, the arguments it changed in place or None)."""
        if type(req) is not dict:
            raise _Usage("request is not a dict")
        op = str(req.get("op"))
        fn = self.ops.get(op)
        if fn is None:
            raise _Usage(f"unknown op {op!r}")
        watched = self.watch.snapshot(req) if op in _WATCHED_OPS else None
        result = fn(req)
        return result, (self.watch.changed(watched) if watched else None)

    def answer(self, reply: dict[str, Any], result: Any, mutated: list[Any] | None,
               mark: bytes | None = None) -> bool:
        """Send `result` in `reply`; False when it could not be sent (answered as unsendable)."""
        try:
            reply["ok"] = result
            if mutated:
                reply["mutated"] = mutated  # only then: the common reply stays as it was
            self.send(reply, mark)
            return True
        except channel.EncodeError as exc:
            for key in ("ok", "mutated", "marked"):
                reply.pop(key, None)
            reply["err"] = {"kind": "unsendable", "diagnosis": exc.diagnosis, "exc_type": "TypeError",
                            "message": str(exc), "traceback": ""}
            self.send(reply, mark)
            return False

    def plan_of(self, req: dict[str, Any]) -> tuple[list[Any], bytes]:
        steps, mark = req.get("steps"), req.get("mark")
        if type(steps) is not list or type(mark) is not str or not 8 <= len(mark) <= 64:
            raise _Usage("a plan needs a list of steps and a marker")
        return steps, mark.encode()

    def run_plan(self, seq: Any, steps: list[Any], mark: bytes) -> None:
        """Run a plan's steps in order, answering each as it finishes; stop at the first failure."""
        results: list[Any] = []
        for index, step in enumerate(steps):
            self.guard.take_attempts()
            try:
                if type(step) is not dict or step.get("op") not in _PLAN_OPS:
                    raise _Usage("a plan's steps are new, call, method, getattr, setattr or call_keep")
                on = step.get("on")
                if on is not None:
                    if type(on) is not int or not 0 <= on < index:
                        raise _Usage("a step may only name the result of an earlier step")
                    step["h"] = results[on]
                result, mutated = self.perform(step)
            except BaseException as exc:  # the student's code may raise anything
                reply = {"seq": seq, "step": index, "err": self.failure(exc, self.guard.take_attempts())}
                del exc
                self.send(reply, mark)
                return
            results.append(result)
            if not self.answer({"seq": seq, "step": index}, result, mutated, mark):
                return

    def serve(self) -> None:
        self.send({"hello": self.hello})
        while True:
            payload = channel.read_frame_blocking(self.chan_r, MAX_REQUEST_BYTES)
            if payload is None:
                return
            self.handle(payload)
            del payload
            if self.exit_after_reply:
                self._flush_student_output()
                os._exit(0)


def _type_name(obj: Any) -> str:
    try:
        return str(type(obj).__name__)[:100]
    except BaseException:
        return "?"


def run(chan_r: int, chan_w: int, src_dir: str, forbidden: list[str], hello: dict[str, Any],
        provided: list[str] = (), handout_imports: list[str] = (),  # type: ignore[assignment]
        numpy_compat: list[str] = ()) -> None:  # type: ignore[assignment]
    """Install the import guard, make the submission importable and serve until EOF.

    `provided`: the course's files (relative paths) whose imports are not policed;
    `handout_imports`: imports the handout writes (never refused; `past`/`future` stand-ins
    when missing); `numpy_compat`: compat.NUMPY_COMPAT shims for the student's NumPy calls."""
    sys.path.insert(0, src_dir)
    compat.apply_numpy_compat(numpy_compat)
    compat.install_stand_ins(handout_imports)
    allowed = {name.partition(".")[0] for name in handout_imports}
    forbidden = [name for name in forbidden if name not in allowed]
    sys.argv = ["student"]
    # On SIGUSR1 (sent by the grader when a call times out) the C-level handler writes
    # the stack to the output pipe, even inside `while True: pass`: the hint can then
    # say where the code was. A dup of stderr, so it survives muting.
    faulthandler.register(signal.SIGUSR1, file=os.dup(2), all_threads=False)
    root = src_dir.rstrip(os.sep) + os.sep
    import_guard = guard.install(forbidden, [root + path for path in provided], root)
    Worker(chan_r, chan_w, src_dir, import_guard, hello).serve()
