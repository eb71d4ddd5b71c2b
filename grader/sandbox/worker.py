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
as {"on": index} instead of "h", and take an argument from an earlier step's value, or a
part of it through a kept handle ("args_from": [[position, step, *path], ...]). Each step's
output ends with `mark` written to the output
pipe, so the grader, still reading step k's reply while step k+1 prints, can tell whose
output is whose. A setattr step marked "quiet" (never the last) is answered only should it
fail: the next step's reply tells that it ran, and carries its output.

Beside it, loaded the same way: worker_ops.py (the object table and one method per op),
worker_errors.py (the error reports), watch.py (the argument watch).
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

try:
    from . import channel, compat, guard
    from .watch import ArgumentWatch
    from .worker_errors import _Usage
    from .worker_ops import _ABSENT, _WATCHED_OPS, StudentOps, _type_name  # noqa: F401 (old names)
except ImportError:  # loaded by path inside the worker, outside the grader package
    import _sandbox_channel as channel  # type: ignore[no-redef]
    import _sandbox_compat as compat  # type: ignore[no-redef]
    import _sandbox_guard as guard  # type: ignore[no-redef]
    from _sandbox_watch import ArgumentWatch  # type: ignore[no-redef]
    from _sandbox_worker_errors import _Usage  # type: ignore[no-redef]
    from _sandbox_worker_ops import (_ABSENT, _WATCHED_OPS, StudentOps,  # type: ignore[no-redef]  # noqa: F401
                                     _type_name)

# Requests come from the grader, which is trusted; the cap only bounds mistakes.
MAX_REQUEST_BYTES = 1 << 31

_default_rng = np.random.default_rng

# Requests the grader may defer to travel in another's "before" list, or mark "quiet" in a
# plan (not its last step): answered only should they fail (their reply is None).
_DEFERRABLE_OPS = frozenset({"setattr"})
# Requests a plan may hold (not a plan itself, nor the grader's own bookkeeping).
_PLAN_OPS = frozenset({"new", "call", "method", "getattr", "setattr", "hasattr", "call_keep", "method_keep"})


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


class Worker(StudentOps):
    """Serves the grader's requests one at a time; StudentOps (worker_ops.py) runs each."""

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
        self.ops = self.op_table()

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
        # "watch": False, the grader will not ask what the call changed (Sandbox.unwatched).
        watched = self.watch.snapshot(req) if op in _WATCHED_OPS and req.get("watch") is not False else None
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

    def fill_args(self, step: dict[str, Any], results: list[Any]) -> None:
        """Put the values of earlier steps into `step`'s arguments ("args_from": [[position,
        step, *path], ...]), each as the grader would have sent it back: through the channel
        both ways (its arrays copied, its objects as handles), so the step gets what it would
        get were the grader passing the value on itself. A `path` (keys and indexes) takes a
        part of the value instead, looking through a kept part (a handle) to its object: the
        gradient `grads[k]` of a `loss` whose grads were kept here."""
        args, refs = step.get("args"), step["args_from"]
        if type(args) is not list or type(refs) is not list:
            raise _Usage("args_from needs a list of arguments")
        for ref in refs:
            if (type(ref) is not list or len(ref) < 2 or any(type(i) is not int for i in ref[:2])
                    or any(type(key) not in (int, str) for key in ref[2:])
                    or not 0 <= ref[0] < len(args) or not 0 <= ref[1] < len(results)):
                raise _Usage("args_from names an argument, an earlier step and a path in its value")
            value = results[ref[1]]
            for key in ref[2:]:
                if type(value) is channel.Handle:
                    value = self.lookup(value.id, value.type_name)
                value = value[key]
            payload = bytearray().join(channel.encode(value, self.to_wire)[1:])
            args[ref[0]] = channel.decode(payload, on_handle=self.lookup, on_rng=_default_rng,
                                          copy_arrays=False)

    def run_plan(self, seq: Any, steps: list[Any], mark: bytes) -> None:
        """Run a plan's steps in order, answering each as it finishes; stop at the first failure."""
        results: list[Any] = []
        for index, step in enumerate(steps):
            self.guard.take_attempts()
            try:
                if type(step) is not dict or step.get("op") not in _PLAN_OPS:
                    raise _Usage("a plan's steps are new, call, method, getattr, setattr, hasattr, call_keep "
                                 "or method_keep")
                on = step.get("on")
                if on is not None:
                    if type(on) is not int or not 0 <= on < index:
                        raise _Usage("a step may only name the result of an earlier step")
                    step["h"] = results[on]
                if "args_from" in step:
                    self.fill_args(step, results)
                result, mutated = self.perform(step)
            except BaseException as exc:  # the student's code may raise anything
                reply = {"seq": seq, "step": index, "err": self.failure(exc, self.guard.take_attempts())}
                del exc
                self.send(reply, mark)
                return
            results.append(result)
            if step.get("quiet") is True and step["op"] in _DEFERRABLE_OPS and index + 1 < len(steps):
                continue  # its success goes with the next step's reply, its output too
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


def preload_libraries(names: list[str], forbidden: list[str]) -> None:
    """Import installed libraries the course's handout files import, before the submission is
    importable (a student's scipy.py is never one of them) and before the import guard: the
    student's own import then finds them loaded, as it finds NumPy. One whose top-level
    package is forbidden is skipped (the guard refuses the student's import as ever); one that
    fails to import is left for the student's import to fail the same way."""
    refused = {name.partition(".")[0] for name in forbidden}
    with numpy_tools_unlisted():
        for name in names:
            if type(name) is not str or name.partition(".")[0] in refused:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 (absent or broken here: the student's import says so)
                pass


# NumPy's tool submodules that a `from numpy import *` imports: the Fortran wrapper generator
# (with charset_normalizer) and the test helpers.
NUMPY_TOOLS = ("f2py", "testing")


@contextlib.contextmanager
def numpy_tools_unlisted() -> Iterator[None]:
    """Leave NUMPY_TOOLS out of NumPy's `__all__` and `dir()` while the preload runs.

    SciPy's bundled array_api_compat clones NumPy's namespace as scipy.special loads
    (`from numpy import *` and every name `dir(numpy)` lists), which imports NumPy's lazy
    tool submodules: 0.18 s of the import instead of 0.09 s, paid by each of MyTorch's two
    workers as they start together beside the grader's own imports, on two cores. No code
    in SciPy reads them from that clone; NumPy itself keeps them (`np.testing` and `import
    numpy.testing` work as ever), and both lists are restored before any student code."""
    listed, dir_of = list(np.__all__), np.__dict__.get("__dir__")
    np.__all__ = [name for name in listed if name not in NUMPY_TOOLS]
    if dir_of is not None:
        np.__dir__ = lambda: [name for name in dir_of() if name not in NUMPY_TOOLS]
    try:
        yield
    finally:
        np.__all__ = listed
        if dir_of is not None:
            np.__dir__ = dir_of


def run(chan_r: int, chan_w: int, src_dir: str, forbidden: list[str], hello: dict[str, Any],
        provided: list[str] = (), handout_imports: list[str] = (),  # type: ignore[assignment]
        numpy_compat: list[str] = (), preload: list[str] = ()) -> None:  # type: ignore[assignment]
    """Install the import guard, make the submission importable and serve until EOF.

    `provided`: the course's files (relative paths) whose imports are not policed;
    `handout_imports`: imports the handout writes (never refused; `past`/`future` stand-ins
    when missing); `numpy_compat`: compat.NUMPY_COMPAT shims for the student's NumPy calls;
    `preload`: libraries the handout's files import, loaded now (see preload_libraries)."""
    preload_libraries(preload, forbidden)
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
