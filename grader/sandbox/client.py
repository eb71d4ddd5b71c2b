"""The API checks use to run student code: `Sandbox` and `RemoteObject`.

    with Sandbox(Path(submission_dir), limits=Limits(call_timeout_s=10)) as sb:
        lin = sb.new("layers", "Linear", 3, 5, rng=Rng(0))   # RemoteObject
        y = lin.call("forward", x)                            # x: (N, 3) -> y: (N, 5)

Every call either returns plain data (None, bool, int, float, str, list,
dict, fresh float64/int/bool ndarrays, numpy scalars, RemoteObjects) or
raises a `StudentFailure` subclass with a diagnosis id. After a time-out or
the worker's death the next call starts a fresh worker (modules are imported
again on demand); RemoteObjects of the old one raise StaleHandle.

Time is bounded three ways (see ledger.py): a function that hung, crashed the
worker or used up its budget is not called again (`CallBlocked`); a module is
imported, dependencies first, on its own clock (`import_timeout_s`); and past
`deadline` no call starts (`RunDeadlineReached`). Past `output_budget_bytes`
the worker's output goes to /dev/null (`output_stats` counts what was lost).

`timeout_s` is a keyword of `new`, `call` and `RemoteObject.call` itself, so
it cannot be passed through to student code.

Round trips: `RemoteObject.set` returns nothing, so it is *deferred*: it travels with
the next request (its "before" list; the worker runs those first, in order) instead of
costing a round trip of its own (~3,800 of a default run's ~11,500). A deferred set
that raises is reported as its own failure ("setting Linear.W raised ..."), raised by
the request it travelled with; one that hangs or kills the worker is charged to that
request. `Sandbox.flush()` sends what is pending (the grading plugin does after each
check, so a check's sets never run in the next one).

Plans (plan.py; `RemoteObject.call_each`, `Sandbox.call_each`): a sequence of calls goes
in ONE request and the worker runs them back to back, sending a reply per call as each
finishes. Every call is still judged alone: the grader reads the replies one at a time,
each under the call's own time limit (so a hang is still paid once and stops the plan),
with its own output (the worker closes each call's output with a marker the grader
strips), its own entry in the ledger and its own input-mutation watch. The worker stops
at the first call that fails, and that call raises exactly what it would raise alone; the
calls after it never run. A call that needs something done first (its module imported,
the worker told of blocked functions, a refusal) starts a new request, after the ones
before it have run, as it would alone. Nothing is pickled: a step refers to an earlier
step's object by its index. Deferred sets travel with a plan like with any request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
import weakref
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import channel
from .channel import Handle, Rng
from .errors import (
    CallBlocked,
    ChannelViolation,
    RunDeadlineReached,
    SandboxError,
    StaleHandle,
    StudentException,
    StudentFailure,
    StudentImportError,
    StudentMemoryError,
    StudentTimeout,
    UnsupportedValue,
    WorkerDied,
)
from .imports import module_imports
from .ledger import CallLedger
from .limits import Limits
from .process import (STACK_HEADER, UidLease, WorkerConfig, WorkerGone, WorkerProcess, dirs_to_hide,
                      student_frames)

DEFAULT_FORBIDDEN = ("torch", "tensorflow", "jax", "autograd")
# Limits that can change between calls; the others are fixed when a worker starts.
PER_CALL_LIMITS = frozenset({"call_timeout_s", "output_limit_bytes", "max_message_bytes"})
_ERROR_KINDS = {"exception", "import", "missing", "memory", "unsendable", "stale", "exit", "usage",
                "blocked"}
# Requests whose array arguments the worker watches for in-place changes (worker._WATCHED_OPS).
_WATCHED_OPS = frozenset({"call", "method", "call_keep", "new"})
# Requests that need a student module imported first.
_MODULE_OPS = frozenset({"module", "new", "call", "call_keep", "module_has"})
_SIGNAL_WORDS = {signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort",
                 signal.SIGBUS: "a bus error", signal.SIGFPE: "a floating-point exception",
                 signal.SIGKILL: "SIGKILL", signal.SIGXCPU: "the CPU-time limit"}


#: The most calls one plan request carries (a longer plan is sent in parts).
MAX_PLAN_STEPS = 256


@dataclasses.dataclass
class Call:
    """One call to make in the worker: its request and how the grader names and limits it.

    `on`: the index, in the same plan, of the earlier call whose value (a student object)
    this one is made on, in place of the request's "h"; `type_name`: the class it is
    named by until that value is known (see `named_for`)."""

    request: dict[str, Any]
    what: str
    timeout_s: float | None = None
    target: dict[str, str] | None = None
    counted: bool | None = None
    on: int | None = None
    type_name: str = ""

    def named_for(self, value: Any) -> "Call":
        """This call named after the object it is made on, as the worker named its class
        (`Linear = Layer` in the student's module builds a Layer), like a call made alone."""
        actual = value.type_name if isinstance(value, RemoteObject) else ""
        if not actual or not self.type_name or actual == self.type_name:
            return self
        target = dict(self.target, type=actual) if self.target and "type" in self.target else self.target
        return dataclasses.replace(self, what=self.what.replace(f"{self.type_name}.", f"{actual}.", 1),
                                   target=target, type_name=actual)

    def wire(self, earlier: list[Any], first: int) -> dict[str, Any]:
        """The request to send, in a plan whose first call is the plan's call `first`:
        `on` names a call of this request's plan, or the value of an earlier one."""
        if self.on is None:
            return self.request
        request = dict(self.request)
        if self.on >= first:
            request["on"] = self.on - first
        else:
            request["h"] = earlier[self.on]
        return request


def new_call(module: str, cls: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any],
             timeout_s: float | None) -> Call:
    """`module.cls(*args, **kwargs)`."""
    return Call({"op": "new", "module": module, "name": cls, "args": list(args), "kwargs": kwargs},
                f"{cls}()", timeout_s, {"type": cls, "attr": "__init__"})


def function_call(module: str, func: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any],
                  timeout_s: float | None) -> Call:
    """`module.func(*args, **kwargs)`."""
    return Call({"op": "call", "module": module, "name": func, "args": list(args), "kwargs": kwargs},
                f"{module}.{func}()", timeout_s, {"module": module, "attr": func})


def keep_call(module: str, func: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any],
              keep: tuple[int, ...], timeout_s: float | None) -> Call:
    """`module.func(*args, **kwargs)` whose result's parts at `keep` stay in the worker."""
    return Call({"op": "call_keep", "module": module, "name": func, "args": list(args), "kwargs": kwargs,
                 "keep": list(keep)}, f"{module}.{func}()", timeout_s, {"module": module, "attr": func})


def method_call(obj: Any, type_name: str, name: str, args: tuple[Any, ...] | list[Any],
                kwargs: dict[str, Any], timeout_s: float | None, on: int | None = None) -> Call:
    """`obj.name(*args, **kwargs)`, `obj` a RemoteObject (or, with `on`, a plan's earlier value)."""
    return Call({"op": "method", "h": obj, "name": name, "args": list(args), "kwargs": kwargs},
                f"{type_name}.{name}()", timeout_s, {"type": type_name, "attr": name}, on=on,
                type_name=type_name if on is not None else "")


def getattr_call(obj: Any, type_name: str, name: str, default: tuple[Any, ...],
                 timeout_s: float | None, on: int | None = None) -> Call:
    """`obj.name`, or `getattr(obj, name, *default)` with a default."""
    if len(default) > 1:
        raise TypeError("get(name[, default]) takes at most one default")
    request = {"op": "getattr", "h": obj, "name": name}
    if default:
        request["default"] = default[0]
    return Call(request, f"reading {type_name}.{name}", timeout_s, on=on,
                type_name=type_name if on is not None else "")


def setattr_call(obj: Any, type_name: str, name: str, value: Any, timeout_s: float | None,
                 on: int | None = None) -> Call:
    """`obj.name = value`."""
    return Call({"op": "setattr", "h": obj, "name": name, "value": value},
                f"setting {type_name}.{name}", timeout_s, on=on, type_name=type_name if on is not None else "")


@dataclasses.dataclass
class OutputStats:
    """The student's output over a Sandbox's life: bytes read, bytes discarded, and where."""

    read: int = 0
    discarded: int = 0
    muted: bool = False
    by_context: dict[str, int] = dataclasses.field(default_factory=dict)  # discarded per check

    def add(self, context: str, *, read: int, discarded: int) -> None:
        self.read += read
        self.discarded += discarded
        if discarded:
            self.by_context[context] = self.by_context.get(context, 0) + discarded


def _snapshot(value: Any) -> Any:
    """`value` with every ndarray in its lists, tuples and dicts copied (a deferred request is
    encoded later, and must send what the caller passed, not what it became)."""
    t = type(value)
    if t is np.ndarray:
        return value.copy()
    if t is list or t is tuple:
        return t(_snapshot(v) for v in value)
    if t is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _file_of(module: str) -> str:
    """The file a student edits for `module`: layers.py, mytorch/nn/linear.py."""
    return module.replace(".", "/") + ".py"


class RemoteObject:
    """A student object living in the worker (e.g. a Linear instance)."""

    __slots__ = ("_sandbox", "_generation", "handle_id", "type_name", "__weakref__")

    def __init__(self, sandbox: "Sandbox", generation: int, handle_id: int, type_name: str) -> None:
        self._sandbox = sandbox
        self._generation = generation
        self.handle_id = handle_id
        self.type_name = type_name

    def call(self, name: str, /, *args: Any, timeout_s: float | None = None, **kwargs: Any) -> Any:
        """Call the method `name`; arrays in and out are copies, never shared."""
        return self._sandbox.run_plan([method_call(self, self.type_name, name, args, kwargs, timeout_s)])[0]

    def call_each(self, name: str, arguments: list[tuple[Any, ...]], *,
                  sets: list[dict[str, Any]] | None = None, timeout_s: float | None = None) -> list[Any]:
        """`[self.call(name, *args) for args in arguments]` in one round trip (a plan): the
        same values, or the failure the first failing call would raise alone. `sets[i]`: the
        attributes set just before the i-th call, as `set` then `call` would."""
        calls: list[Call] = []
        made: list[int] = []  # the index of each method call among the plan's calls
        for i, args in enumerate(arguments):
            for attribute, value in (sets[i] if sets is not None else {}).items():
                calls.append(setattr_call(self, self.type_name, attribute, value, None))
            made.append(len(calls))
            calls.append(method_call(self, self.type_name, name, args, {}, timeout_s))
        values = self._sandbox.run_plan(calls)
        return [values[i] for i in made]

    def get(self, name: str, *args: Any, timeout_s: float | None = None) -> Any:
        """The attribute `name`; `get(name, default)` returns `default` when it does not exist
        (one round trip, where `has` then `get` took two)."""
        return self._sandbox.run_plan([getattr_call(self, self.type_name, name, args, timeout_s)])[0]

    def set(self, name: str, value: Any, *, timeout_s: float | None = None) -> None:
        """Set the attribute `name`; deferred to the next request unless `timeout_s` is given
        (see the module's docstring). The worker gets `value` as it is now: its arrays are
        copied here, so changing them before the next request changes nothing."""
        request = {"op": "setattr", "h": self, "name": name,
                   "value": value if timeout_s is not None else _snapshot(value)}
        what = f"setting {self.type_name}.{name}"
        if timeout_s is None:
            self._sandbox._defer(request, what)
        else:
            self._sandbox._request(request, timeout_s, what)

    def plan(self) -> Any:
        """A Plan of its Sandbox (plan.py), to make several calls in one round trip."""
        return self._sandbox.plan()

    def has(self, name: str, *, timeout_s: float | None = None) -> bool:
        return bool(self._sandbox._request({"op": "hasattr", "h": self, "name": name}, timeout_s,
                                           f"looking up {self.type_name}.{name}"))

    def spy(self, name: str) -> None:
        """Record every later call of the method `name` on this object (see spy_log)."""
        self._sandbox._request({"op": "spy", "h": self, "name": name}, None,
                               f"watching {self.type_name}.{name}")

    def spy_log(self, name: str) -> list[dict[str, Any]]:
        """The calls recorded since spy() or the last spy_log(), oldest first; clears the log.

        Each entry: {"call": n, "arg_shapes": [shape | None per positional
        argument], "kwarg_shapes": {name: shape | None}, "result_shape":
        shape | None, "fingerprint": (N,) float64 array | None}; the
        fingerprint of the first ndarray argument x (shape (N, ...)) is
        x.reshape(N, -1) @ v for a fixed vector v (spy.fingerprint).
        """
        log = self._sandbox._request({"op": "spy_log", "h": self, "name": name}, None,
                                     f"reading the calls of {self.type_name}.{name}")
        return log if isinstance(log, list) else []

    @property
    def stale(self) -> bool:
        return self._generation != self._sandbox._generation

    def release(self) -> None:
        """Let the worker drop the object (also done when this RemoteObject is garbage-collected)."""
        if not self.stale:
            self._sandbox._free.append(self.handle_id)
            self._generation = -1

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RemoteObject) and other._sandbox is self._sandbox
                and other._generation == self._generation and other.handle_id == self.handle_id)

    def __hash__(self) -> int:
        return hash((id(self._sandbox), self._generation, self.handle_id))

    def __repr__(self) -> str:
        return f"<RemoteObject {self.type_name} #{self.handle_id}{' (stale)' if self.stale else ''}>"


class Sandbox:
    """Runs one submission in an isolated worker process (see process.py for the protections)."""

    def __init__(
        self,
        submission_dir: Path | str,
        limits: Limits | None = None,
        forbidden_imports: tuple[str, ...] | list[str] = DEFAULT_FORBIDDEN,
        *,
        sandbox_uid: int | None = None,
        drop_privileges: bool = True,
        network_isolation: bool = True,
        hide_grader: bool = True,
        packages: bool = False,
        provided_files: tuple[str, ...] = (),
        handout_imports: tuple[str, ...] = (),
        numpy_compat: tuple[str, ...] = (),
    ) -> None:
        """`sandbox_uid`: the uid the worker runs as when the grader is root
        (default: a free one from 61000-61999 reserved by a lock file, so its
        processes can all be killed without touching anyone else's).
        `provided_files`, `handout_imports`, `numpy_compat`: the profile's declarations
        for the course's own code (grader/profiles/base.py), applied in the worker."""
        self.submission_dir = Path(submission_dir)
        self._base_limits = limits or Limits()
        self._overrides: list[dict[str, Any]] = []
        self.forbidden_imports = tuple(forbidden_imports)
        self._want_uid = sandbox_uid
        self._drop = drop_privileges and hasattr(os, "geteuid") and os.geteuid() == 0
        self._network_isolation = network_isolation
        self._hide = dirs_to_hide() if hide_grader else []
        self._packages = packages  # copy package folders too (a profile whose modules are packages)
        self._course_code = {"provided": tuple(provided_files), "handout_imports": tuple(handout_imports),
                             "numpy_compat": tuple(numpy_compat)}
        self._lease: UidLease | None = None
        self._worker: WorkerProcess | None = None
        self._generation = 0
        self._seq = 0
        self._free: list[int] = []
        # One RemoteObject per live handle: the worker drops an object when it
        # is garbage here, so two proxies of one handle must not exist.
        self._proxies: weakref.WeakValueDictionary[int, RemoteObject] = weakref.WeakValueDictionary()
        self._closed = False
        self.last_output = ""
        self.protections: dict[str, str] = {}
        self.starts = 0
        # (worker pid, temporary directory) of every worker started, for diagnostics and tests.
        self.worker_history: list[tuple[int | None, Path | None]] = []
        self.ledger = CallLedger(self._base_limits.function_budget_s)
        # time.monotonic() after which no student code starts (None: no deadline).
        self.deadline: float | None = None
        self.output_stats = OutputStats()
        self._imported: set[str] = set()       # modules the current worker has imported
        self._told_blocks = 0                  # the ledger version the current worker knows
        self._dependencies: dict[str, list[str]] | None = None
        # Input mutation: the arguments (position, or keyword name) whose arrays the last call
        # changed in place, as the worker saw them; and that call, to re-run it read-only.
        self.last_mutated: tuple[int | str, ...] = ()
        self._last_call: tuple[dict[str, Any], str] | None = None
        # Requests whose reply is not needed (setattr), waiting to travel with the next one:
        # (request, what) in the order they were made.
        self._deferred: list[tuple[dict[str, Any], str]] = []
        # A plan's output marker is unguessable to code that has not read the worker's memory
        # (one that has only muddles its own output).
        self._mark_key = os.urandom(6).hex()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start a worker if none is running (calls do this by themselves)."""
        if self._closed:
            raise SandboxError("this Sandbox is closed")
        if self._worker is not None:
            return
        if self._drop and self._lease is None:
            self._lease = UidLease(self._want_uid)
        config = WorkerConfig(
            submission_dir=self.submission_dir, limits=self._base_limits,
            forbidden=self.forbidden_imports, uid=self._lease.uid if self._lease else None,
            network_isolation=self._network_isolation, hide=self._hide, packages=self._packages,
            **self._course_code)
        worker = WorkerProcess(config)
        hello = worker.start()
        self._worker = worker
        self._generation += 1
        self._free = []
        self._proxies = weakref.WeakValueDictionary()
        self._imported, self._told_blocks = set(), 0
        self.starts += 1
        self.worker_history.append((worker.worker_pid, worker.tmp))
        self.protections = dict(hello.get("protections", {}))
        self.protections["subreaper"] = str(worker.started.get("subreaper", "unknown"))

    @property
    def worker_pid(self) -> int | None:
        """The current worker's pid (None when none runs); for tests and diagnostics."""
        return self._worker.worker_pid if self._worker else None

    @property
    def sandbox_uid(self) -> int | None:
        """The uid the worker runs as, or None when it runs as the grader's user."""
        return self._lease.uid if self._lease else None

    @property
    def workdir(self) -> Path | None:
        """The current worker's temporary directory (removed when the worker stops)."""
        return self._worker.tmp if self._worker else None

    def restart(self) -> None:
        """A fresh worker: modules are imported again; every RemoteObject becomes stale."""
        self._discard_worker()
        self.start()

    def stop(self) -> None:
        """Stop the worker (and all it started) but keep the Sandbox: the next call starts a new one."""
        self._discard_worker()

    def close(self) -> None:
        self._discard_worker()
        self._closed = True
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _discard_worker(self) -> None:
        self._deferred = []  # they name objects of this worker, which go with it
        worker, self._worker = self._worker, None
        if worker is not None:
            self._generation += 1  # old handles are stale from now on
            worker.stop()

    # ------------------------------------------------------------ limits

    @property
    def current_limits(self) -> Limits:
        if not self._overrides:
            return self._base_limits  # the common case: no copy per call (~15 us each)
        merged: dict[str, Any] = {}
        for o in self._overrides:
            merged.update(o)
        return dataclasses.replace(self._base_limits, **merged)

    @contextlib.contextmanager
    def limits(self, **changes: Any) -> Iterator[Limits]:
        """Temporarily change per-call limits: `with sb.limits(call_timeout_s=60): ...`."""
        fixed = set(changes) - PER_CALL_LIMITS
        if fixed:
            raise ValueError(f"{sorted(fixed)} only apply when a worker starts; pass them to Sandbox()")
        self._overrides.append(changes)
        try:
            yield self.current_limits
        finally:
            self._overrides.remove(changes)

    # ------------------------------------------------------------ calls

    def import_module(self, module: str, *, timeout_s: float | None = None) -> None:
        """Import a student module, its submission dependencies first, each on the import clock.

        StudentImportError if it does not import; StudentTimeout the first time
        it does not finish within `import_timeout_s`, CallBlocked after that.
        """
        self._import(module, timeout_s, ())

    def _import(self, module: str, timeout_s: float | None, chain: tuple[str, ...]) -> None:
        self.start()
        if module in self._imported:
            return
        what = f"importing {_file_of(module)}"
        if self.ledger.blocked(what) is not None:
            raise self.ledger.refuse(what)
        for dependency in self._module_dependencies().get(module, []):
            if dependency in chain:
                continue  # an import cycle: Python resolves it, or reports it on the import
            try:
                self._import(dependency, timeout_s, (*chain, module))
            except CallBlocked as blocked:
                failure = self.ledger.block(what, type(blocked.failure)(
                    f"{_file_of(module)} imports {_file_of(dependency)}, which does not import: "
                    f"{blocked.failure.message.removeprefix('not run: ')}"))
                raise CallBlocked(failure) from None
            except StudentImportError as exc:
                raise StudentImportError(
                    f"{_file_of(module)} imports {_file_of(dependency)}, which does not import: {exc.message}",
                    exc_type=exc.exc_type, traceback=exc.traceback, diagnosis=exc.diagnosis,
                    output=exc.output, frames=exc.frames) from None
        limit = self.current_limits.import_timeout_s if timeout_s is None else timeout_s
        self._request({"op": "import", "module": module}, limit, what, counted=False, carry=False)
        self._imported.add(module)

    def _module_dependencies(self) -> dict[str, list[str]]:
        if self._dependencies is None:
            self._dependencies = module_imports(self.submission_dir)
        return self._dependencies

    def module(self, module: str, *, timeout_s: float | None = None) -> Any:
        """The imported student module as a RemoteObject: `.call("softmax", z)`, `.spy("softmax")`."""
        return self._request({"op": "module", "module": module}, timeout_s, f"importing {_file_of(module)}")

    def new(self, module: str, cls: str, /, *args: Any, timeout_s: float | None = None,
            **kwargs: Any) -> Any:
        """`module.cls(*args, **kwargs)` in the worker (a RemoteObject, normally)."""
        return self.run_plan([new_call(module, cls, args, kwargs, timeout_s)])[0]

    def call(self, module: str, func: str, /, *args: Any, timeout_s: float | None = None,
             **kwargs: Any) -> Any:
        """`module.func(*args, **kwargs)` in the worker."""
        return self.run_plan([function_call(module, func, args, kwargs, timeout_s)])[0]

    def call_each(self, module: str, func: str, arguments: list[tuple[Any, ...]], *,
                  timeout_s: float | None = None) -> list[Any]:
        """`[self.call(module, func, *args) for args in arguments]` in one round trip (a plan)."""
        return self.run_plan([function_call(module, func, args, {}, timeout_s) for args in arguments])

    def plan(self) -> Any:
        """A Plan: calls (and sets) collected first, then run in one round trip."""
        from .plan import Plan

        return Plan(self)

    def call_keep(self, module: str, func: str, /, *args: Any, keep: tuple[int, ...] = (1,),
                  timeout_s: float | None = None, **kwargs: Any) -> Any:
        """`module.func(*args, **kwargs)` returning a tuple whose parts at `keep` stay in the
        worker as RemoteObjects (an opaque `cache`, never unpickled here); the rest is data."""
        return self.run_plan([keep_call(module, func, args, kwargs, keep, timeout_s)])[0]

    def mapping(self, *, timeout_s: float | None = None, **items: Any) -> Any:
        """A dict in the worker (a RemoteObject) the student may edit in place, e.g. CS231n's
        bn_param; read it back with `.call("copy")`."""
        return self._request({"op": "mapping", "kwargs": items}, timeout_s, "mapping()")

    def namespace(self, *, timeout_s: float | None = None, **attributes: Any) -> Any:
        """A plain object in the worker holding `attributes` (arrays, RemoteObjects, lists of
        them), e.g. the `model` an optimiser walks: `sb.namespace(layers=[lin1, lin2])`."""
        return self._request({"op": "namespace", "kwargs": attributes}, timeout_s, "namespace()")

    def has(self, module: str, name: str, *, timeout_s: float | None = None) -> bool:
        """Whether `module` defines `name` (imports the module: StudentImportError if it cannot)."""
        return bool(self._module_has(module, name, timeout_s)[0])

    def is_callable(self, module: str, name: str, *, timeout_s: float | None = None) -> bool:
        """Whether `module.name` exists and is callable (a class or a function)."""
        return bool(self._module_has(module, name, timeout_s)[1])

    def _module_has(self, module: str, name: str, timeout_s: float | None) -> list[bool]:
        found = self._request({"op": "module_has", "module": module, "name": name}, timeout_s,
                              f"looking up {module}.{name}")
        if type(found) is not list or len(found) != 2:
            raise ChannelViolation("the worker sent a malformed answer")
        return found

    def ping(self) -> None:
        self._request({"op": "ping"}, None, "ping")

    def locate_mutation(self, *, timeout_s: float | None = None) -> dict[str, Any] | None:
        """Where the last call's student code writes to an argument array: the call is run once
        more with its arrays read-only, and NumPy raises at that line. Returns {"file": the
        submission's file, "line": int, "code": the line's text, "message": NumPy's words},
        or None (no last call, or it wrote nothing). The re-run has the call's other effects
        again (a layer's cache is overwritten), so use it once a mutation has been seen."""
        if self._last_call is None:
            return None
        call, what = self._last_call
        found = self._request({"op": "locate_write", "call": dict(call)}, timeout_s, what)
        return found if isinstance(found, dict) else None

    def _to_wire(self, obj: Any) -> Any:
        if isinstance(obj, RemoteObject):
            if obj._sandbox is not self:
                raise TypeError("a RemoteObject of another Sandbox")
            if obj.stale:
                raise StaleHandle(
                    f"this {obj.type_name} object was lost when the worker was restarted after an "
                    "earlier failure", output="")
            return Handle(obj.handle_id, obj.type_name)
        raise channel.EncodeError(f"cannot send a {type(obj).__name__} to the worker")

    def _from_wire(self, handle_id: int, type_name: str) -> RemoteObject:
        proxy = self._proxies.get(handle_id)
        if proxy is None:
            if handle_id in self._free:  # died here after the worker sent it again: keep it
                self._free.remove(handle_id)
            proxy = RemoteObject(self, self._generation, handle_id, type_name)
            self._proxies[handle_id] = proxy
        return proxy

    def _defer(self, request: dict[str, Any], what: str) -> None:
        """Queue a request whose reply is not needed, to travel with the next one (a refused or
        late one fails now, as it would have if sent)."""
        if self.ledger.blocked(what) is not None:
            raise self.ledger.refuse(what)
        self._time_to_deadline(what)
        self._to_wire(request["h"])  # a stale object fails here, at the line that used it
        self.ledger.record(what)
        self._deferred.append((request, what))

    def flush(self) -> None:
        """Send the deferred requests now (their failure, if any, is raised here)."""
        if self._deferred:
            request, what = self._deferred.pop()
            self._request(request, None, what)

    def _request(self, request: dict[str, Any], timeout_s: float | None, what: str, *,
                 target: dict[str, str] | None = None, counted: bool | None = None,
                 carry: bool = True) -> Any:
        """Send one request and return its value, or raise how it failed.

        `what` names the student function for hints and for the ledger;
        `target` tells the worker how to find it should it be blocked later;
        `counted`: whether the call's time counts against the function's
        budget (default: calls under the default limit; training runs with
        their own limits are budgeted by the training plan); `carry`: whether
        the deferred requests travel with this one (not with the imports and
        blocks a request sends first).
        """
        call = Call(request, what, timeout_s, target, counted)
        self._prepare(call)
        return self._send([call], [], carry)[0]

    def _prepare(self, call: Call) -> None:
        """What must happen before `call` is sent: its refusal, a worker, its module's
        import, telling the worker the blocked functions."""
        if self.ledger.blocked(call.what) is not None:
            raise self.ledger.refuse(call.what)
        self.start()
        request = call.request
        if request["op"] in _MODULE_OPS and request.get("module") not in self._imported:
            self.import_module(str(request["module"]))
        if self._told_blocks != self.ledger.version:
            self._tell_blocks()

    def _ready(self, call: Call) -> bool:
        """Whether `call` needs nothing done first (see _prepare), so it may go in a plan."""
        request = call.request
        return (self._worker is not None and self.ledger.blocked(call.what) is None
                and self._told_blocks == self.ledger.version
                and (request["op"] not in _MODULE_OPS or request.get("module") in self._imported))

    def run_plan(self, calls: list[Call], results: list[Any] | None = None) -> list[Any]:
        """Run `calls` in order and return their values, as if each were made alone, in as
        few round trips as can be (see the module's docstring): a run of calls that need
        nothing done first goes in one request, and the worker streams a reply per call.
        The first call that fails raises what it would raise alone; the rest do not run.
        `results`: a list the values are appended to as they come (its length then tells
        which call failed)."""
        results = [] if results is None else results
        i = 0
        while i < len(calls):
            if not self._ready(calls[i]):  # a refusal, an import or blocks to tell first
                self._prepare(calls[i])
            j = i + 1
            while j < len(calls) and j - i < MAX_PLAN_STEPS and self._ready(calls[j]):
                j += 1
            self._send(calls[i:j], results, True)
            i = j
        return results

    def _send(self, calls: list[Call], done: list[Any], carry: bool) -> list[Any]:
        """Send `calls` (one request, or a plan of several), receive their replies in order and
        append their values to `done`, the values of the calls before them in the same plan
        (a call's `on`); returns `done`."""
        worker = self._worker
        assert worker is not None
        first = len(done)
        wire = [call.wire(done, first) for call in calls]
        for call in calls:
            if call.on is None or call.on < first:  # else: once its object's class is known
                self.ledger.record(call.what, call.target)
        self._seq += 1
        marker: bytes | None = None
        if len(calls) == 1:
            request = wire[0]
        else:
            marker = f"\x1egrader-{self._mark_key}-{self._seq}\x1e".encode()
            request = {"op": "plan", "steps": wire, "mark": marker.decode()}
        # The first call's time and refusal, before anything is sent (the later ones are
        # checked as their turn comes, as they would be alone).
        by_deadline = self._time_to_deadline(calls[0].what)
        request["seq"] = self._seq
        request["free"], self._free = self._free, []
        if self.output_stats.muted:
            request["mute"] = True
        deferred: list[str] = []  # the `what` of each request travelling before this one
        if carry and self._deferred:
            request["before"] = [before for before, _ in self._deferred]
            deferred = [before_what for _, before_what in self._deferred]
            self._deferred = []
        parts = channel.encode(request, self._to_wire)  # StaleHandle / EncodeError: the caller's
        self.last_mutated = ()
        since = time.monotonic()
        for k, call in enumerate(calls):
            if call.on is not None and call.on >= first:
                call = call.named_for(done[call.on])
                self.ledger.record(call.what, call.target)
            if k:
                stop, by_deadline = self._stop_before(call)
                if stop is not None:  # the worker runs on: read its replies, keep none
                    self._abandon(worker, len(calls) - k, marker)
                    raise stop
            if call.request["op"] in _WATCHED_OPS:
                self._last_call = (call.wire(done, len(done)) if call.on is not None and call.on < len(done)
                                   else {key: value for key, value in wire[k].items()
                                         if key not in ("seq", "free", "mute", "before")}, call.what)
            value, since = self._receive(worker, parts if k == 0 else [], call, deferred if k == 0 else [],
                                         marker, k if marker else None, since, by_deadline)
            done.append(value)
        return done

    def _stop_before(self, call: Call) -> tuple[Exception | None, float]:
        """(Why a plan's later call may not run now, or None; seconds to the run's deadline):
        its function was blocked by an earlier one (its budget), or the run's time is up."""
        if self.ledger.blocked(call.what) is not None:
            return self.ledger.refuse(call.what), 0.0
        try:
            return None, self._time_to_deadline(call.what)
        except RunDeadlineReached as exc:
            return exc, 0.0

    def _abandon(self, worker: WorkerProcess, left: int, marker: bytes | None) -> None:
        """Read (and drop) the replies of a plan's last `left` calls; past the run's deadline
        the worker is stopped instead."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._discard_worker()
            return
        limits = self.current_limits
        for _ in range(left):
            try:
                payload = worker.exchange([], limits.call_timeout_s, limits.output_limit_bytes, marker)
                reply = channel.decode(payload, on_handle=self._from_wire)
                if type(reply) is dict and reply.get("marked") is True:
                    worker.read_to_marker(limits.call_timeout_s)
                else:
                    worker.end_marking()
            except (WorkerGone, ChannelViolation):
                self._discard_worker()
                return
            self._account_output(worker, 0)
            if type(reply) is not dict or "ok" not in reply:
                return  # the worker stopped at a failure

    def _receive(self, worker: WorkerProcess, parts: list[Any], call: Call, deferred: list[str],
                 marker: bytes | None, step: int | None, since: float,
                 by_deadline: float) -> tuple[Any, float]:
        """Wait for `call`'s reply (sending `parts` first) and return (its value, when it came),
        or raise how it failed. `since`: when the call could start (its time for the budget);
        `by_deadline`: the seconds left before the run's deadline."""
        what = call.what
        limits = self.current_limits
        timeout = limits.call_timeout_s if call.timeout_s is None else float(call.timeout_s)
        counted = call.timeout_s is None if call.counted is None else call.counted
        timeout = min(timeout, by_deadline)
        try:
            payload = worker.exchange(parts, timeout, limits.output_limit_bytes, marker)
        except WorkerGone as gone:
            self._account_output(worker, 0)
            where = self._where_it_hung(worker)
            self._discard_worker()
            if gone.reason == "timeout" and by_deadline <= timeout:
                raise RunDeadlineReached(f"the run's time limit was reached while {what} was running",
                                         running=what) from None
            failure = self._gone_failure(gone, what, timeout)
            if where and isinstance(failure, StudentTimeout):
                failure.message = f"{failure.message.rstrip('.')}; when stopped it was at {where}."
            self.ledger.failed(what, failure)
            raise failure from None
        came = time.monotonic()
        elapsed = came - since
        try:
            reply = channel.decode(payload, on_handle=self._from_wire)
            if (type(reply) is not dict or reply.get("seq") not in (self._seq, None)
                    or reply.get("step", step) != step):
                raise ChannelViolation("the worker's reply does not match the request")
            if marker is not None and reply.get("marked") is True:
                worker.read_to_marker(timeout)
            else:
                worker.end_marking()
            muted = reply.get("discarded", 0)
            self._account_output(worker, muted if type(muted) is int and muted > 0 else 0)
            at = reply.get("at")
            if type(at) is int and 0 <= at < len(deferred):
                what = deferred[at]  # a deferred request failed; this one did not run
            elif "ok" in reply:
                for earlier_what in deferred:
                    self.ledger.finished(earlier_what, 0.0, counted=False)
                # A call that crosses the budget still returns its value; the next one is refused.
                self.ledger.finished(what, elapsed, counted=counted)
                mutated = reply.get("mutated")
                if type(mutated) is list:
                    self.last_mutated = tuple(k for k in mutated if type(k) in (int, str))
                return reply["ok"], came
            failure = self._failure(reply.get("err"), what)
        except ChannelViolation as exc:
            self._discard_worker()
            exc.output = self.last_output
            raise
        if isinstance(failure, WorkerDied):
            self._discard_worker()  # sys.exit: the worker is on its way out
        if isinstance(failure, StudentFailure):
            self.ledger.failed(what, failure)
        raise failure

    def _where_it_hung(self, worker: WorkerProcess) -> str:
        """Where the student's code was when its call timed out (the stack the worker dumped)."""
        if not worker.stack:
            return ""
        cut = self.last_output.find(STACK_HEADER)
        if cut >= 0:  # the dump is the grader's, not the student's output
            self.last_output = self.last_output[:cut].rstrip("\n")
        frames = student_frames(worker.stack, worker.src_dir)
        if not frames:
            return ""
        called = f" (called from {', '.join(frames[1:3])})" if len(frames) > 1 else ""
        return frames[0] + called

    def _time_to_deadline(self, what: str) -> float:
        """Seconds left before the run's deadline (inf without one); raises once it has passed."""
        if self.deadline is None:
            return float("inf")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RunDeadlineReached(f"the run's time limit was reached before {what} could run",
                                     running=what)
        return left

    def _tell_blocks(self) -> None:
        """Have the worker stop blocked functions at their entry, also when student code calls them."""
        self._told_blocks = self.ledger.version  # first: the request below must not tell again
        targets = self.ledger.targets()
        if targets:
            self._request({"op": "block", "targets": targets}, None, "blocking hung functions",
                          counted=False, carry=False)

    def _account_output(self, worker: WorkerProcess, muted_chars: int) -> None:
        """Count the call's output against the run's budget; mute the worker once it is spent."""
        capture = worker.output
        stats = self.output_stats
        stats.add(self.ledger.context, read=capture.kept + capture.dropped,
                  discarded=capture.dropped + muted_chars)
        self.last_output = capture.text()
        if muted_chars:
            self.last_output += (f"\n[{muted_chars} more characters discarded: the run's output budget "
                                 f"of {self._base_limits.output_budget_bytes} bytes is spent]")
        if stats.read > self._base_limits.output_budget_bytes:
            stats.muted = True

    def _gone_failure(self, gone: WorkerGone, what: str, timeout: float) -> StudentFailure:
        out = self.last_output
        if gone.reason == "timeout" and what.startswith("importing "):
            module = what.removeprefix("importing ")
            return StudentTimeout(
                f"{module} did not finish importing within {timeout:g} s: move slow top-level code "
                "(training, data loading, sleeps, input()) under `if __name__ == \"__main__\":`",
                output=out)
        if gone.reason == "timeout":
            return StudentTimeout(f"{what} did not return within {timeout:g} s: it hung (an endless "
                                  "loop, or a wait such as input() or sleep()).", output=out)
        if gone.reason == "violation":
            return ChannelViolation(f"{what}: {gone.detail}", output=out)
        sig, code = gone.status.get("signal"), gone.status.get("code")
        cpu = gone.status.get("cpu_s")
        cpu_limit = self._base_limits.cpu_time_s
        # SIGXCPU at the soft limit, SIGKILL at the hard one if SIGXCPU was ignored.
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and isinstance(cpu, (int, float))
                                     and cpu >= cpu_limit - 0.05):
            return StudentTimeout(
                f"{what} used up the worker's {cpu_limit} s of CPU time.", output=out)
        importing = "import-error" if what.startswith("importing ") else None
        if sig is not None:
            word = _SIGNAL_WORDS.get(sig, f"signal {sig}")
            return WorkerDied(f"the process running {what} was killed by {word}.",
                              signal=sig, diagnosis=importing, output=out)
        return WorkerDied(f"the process running {what} exited (status {code}): the code calls "
                          "os._exit or kills its own process.", exit_code=code, diagnosis=importing,
                          output=out)

    def _failure(self, err: Any, what: str) -> StudentFailure | ValueError | CallBlocked:
        if (type(err) is not dict or err.get("kind") not in _ERROR_KINDS
                or not all(type(err.get(k, "")) is str for k in ("message", "exc_type", "traceback",
                                                                  "diagnosis"))):
            raise ChannelViolation("the worker sent a malformed error report")
        kind, out = err["kind"], self.last_output
        message, exc_type, tb = err.get("message", ""), err.get("exc_type", ""), err.get("traceback", "")
        # NumPy's broadcast error ends in a space ("shapes (64,784) (784,64) "): the full stop
        # added below must not stand apart from it.
        message = message.rstrip()
        frames = _frames(err.get("frames"))
        diagnosis = err.get("diagnosis", "")
        if kind == "usage":
            return ValueError(f"sandbox request {what} is malformed: {message}")
        if kind == "blocked" and self.ledger.blocked(message) is not None:
            return self.ledger.refuse(message, caller=what)
        if kind == "stale":
            return StaleHandle(f"{what}: {message}", output=out)
        if kind == "exit":
            return WorkerDied(f"{what}: {message}, which ends the process.", exit_code=None, output=out)
        if kind == "memory":
            return StudentMemoryError(f"{what} ran out of memory (limit {self._base_limits.memory_mb} MiB).",
                                      output=out)
        if kind == "unsendable":
            return UnsupportedValue(f"{what} {message}.",
                                    diagnosis=diagnosis if diagnosis in ("dtype", "tampering") else "tampering",
                                    output=out)
        if kind == "missing":
            return StudentException(f"{message}.", exc_type=exc_type or "AttributeError",
                                    diagnosis="missing-api", output=out)
        if kind == "import":
            diag = diagnosis if diagnosis in ("import-error", "forbidden-import", "missing-api") else "import-error"
            return StudentImportError(f"{message}.", exc_type=exc_type, traceback=tb, diagnosis=diag, output=out,
                                      frames=frames)
        if diagnosis == "forbidden-import":
            return StudentException(f"{what}: {message}.", exc_type=exc_type, traceback=tb,
                                    diagnosis="forbidden-import", output=out, frames=frames)
        diag = "missing-api" if exc_type == "NotImplementedError" else "crash"
        text = f"{what} raised {exc_type}" + (f": {message}" if message else "") + "."
        return StudentException(text, exc_type=exc_type, traceback=tb, diagnosis=diag, output=out,
                                frames=frames)


#: The most frames an error report may carry (the worker sends at most 12).
_MAX_FRAMES = 32


def _frames(raw: Any) -> tuple[tuple[str, int, str, str], ...]:
    """The worker's frames ([file, line, function, text] lists), checked to be exactly that
    plain data; anything else is a malformed report."""
    if raw is None:
        return ()
    if type(raw) is not list or len(raw) > _MAX_FRAMES:
        raise ChannelViolation("the worker sent a malformed error report")
    frames = []
    for item in raw:
        if (type(item) is not list or len(item) != 4 or type(item[0]) is not str or type(item[1]) is not int
                or type(item[2]) is not str or type(item[3]) is not str):
            raise ChannelViolation("the worker sent a malformed error report")
        frames.append((item[0][:300], item[1], item[2][:100], item[3][:200]))
    return tuple(frames)


__all__ = ["Sandbox", "RemoteObject", "Limits", "Rng", "DEFAULT_FORBIDDEN"]
