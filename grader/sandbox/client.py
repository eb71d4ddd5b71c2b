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
step's object by its index. Deferred sets travel with a plan like with any request, and a
plan's own sets (but a last one) are answered the same way: only should they fail, the next
call's reply telling they ran (one that hangs is charged to that call).

Where: this module holds the Sandbox's life and API; engine.py sends its requests and
judges the replies; failures.py words a failed call; calls.py describes the calls a
request carries; remote.py is RemoteObject; plan.py builds plans.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import weakref
from pathlib import Path
from typing import Any, Iterator

from . import channel
from .calls import WHOLE, function_call, keep_call, new_call
from .channel import Handle, Rng
from .engine import RequestEngine
from .errors import CallBlocked, ChannelViolation, SandboxError, StaleHandle, StudentImportError
from .imports import module_imports
from .ledger import CallLedger
from .limits import Limits
from .process import WorkerProcess
from .remote import RemoteObject
from .spawn import Zygote
from .staging import UidLease, WorkerConfig, dirs_to_hide

DEFAULT_FORBIDDEN = ("torch", "tensorflow", "jax", "autograd")
# Limits that can change between calls; the others are fixed when a worker starts.
PER_CALL_LIMITS = frozenset({"call_timeout_s", "output_limit_bytes", "max_message_bytes"})


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


def _file_of(module: str) -> str:
    """The file a student edits for `module`: layers.py, mytorch/nn/linear.py."""
    return module.replace(".", "/") + ".py"


class Sandbox(RequestEngine):
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
        preload: tuple[str, ...] = (),
    ) -> None:
        """`sandbox_uid`: the uid the worker runs as when the grader is root
        (default: a free one from 61000-61999 reserved by a lock file, so its
        processes can all be killed without touching anyone else's).
        `provided_files`, `handout_imports`, `numpy_compat`, `preload`: the profile's
        declarations for the course's own code (grader/profiles/base.py), applied in the worker."""
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
                             "numpy_compat": tuple(numpy_compat), "preload": tuple(preload)}
        self._lease: UidLease | None = None
        self._worker: WorkerProcess | None = None
        self._launched: WorkerProcess | None = None  # started by launch(), not yet greeted
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

    def launch(self, zygote: Zygote | None = None) -> None:
        """Start a worker's process now without waiting for it: its start-up runs while the
        caller does other work; `start` (or the first call) waits for it. A launch that fails
        leaves nothing behind: `start` then tries again and raises what went wrong. `zygote`:
        fork the worker's supervisor from it (spawn.py); a worker it did not start is started
        again the usual way by `start`."""
        if self._closed or self._worker is not None or self._launched is not None:
            return
        worker = self._new_worker()
        try:
            worker.launch(zygote)
        except Exception:  # noqa: BLE001  (start() repeats it and raises)
            worker.stop()
            return
        self._launched = worker

    def startup_signal(self) -> int | None:
        """A new file descriptor (the caller closes it) that becomes readable once the launched
        worker has greeted, or is gone; None when no worker is launched and not yet started.
        Nothing is read from it: `start` still reads the greeting."""
        launched = self._launched
        return os.dup(launched.fds["response"]) if launched is not None else None

    def start(self) -> None:
        """Start a worker if none is running (calls do this by themselves)."""
        if self._closed:
            raise SandboxError("this Sandbox is closed")
        if self._worker is not None:
            return
        worker, self._launched = self._launched, None
        hello = None
        if worker is not None:
            try:
                hello = worker.greet()
            except SandboxError:
                if not worker.forked:
                    raise  # else the zygote failed it: started the usual way below
        if hello is None:
            worker = self._new_worker()
            worker.launch()
            hello = worker.greet()
        self._worker = worker
        self._generation += 1
        self._free = []
        self._proxies = weakref.WeakValueDictionary()
        self._imported, self._told_blocks = set(), 0
        self.starts += 1
        self.worker_history.append((worker.worker_pid, worker.tmp))
        self.protections = dict(hello.get("protections", {}))
        self.protections["subreaper"] = str(worker.started.get("subreaper", "unknown"))

    def _new_worker(self) -> WorkerProcess:
        if self._drop and self._lease is None:
            self._lease = UidLease(self._want_uid)
        return WorkerProcess(WorkerConfig(
            submission_dir=self.submission_dir, limits=self._base_limits,
            forbidden=self.forbidden_imports, uid=self._lease.uid if self._lease else None,
            uid_lock_fd=self._lease.fd if self._lease else None,
            network_isolation=self._network_isolation, hide=self._hide, packages=self._packages,
            **self._course_code))

    def forget(self) -> None:
        """Let go of this Sandbox's worker without stopping it, and close the Sandbox: in a
        forked process the worker belongs to the other process, which uses and stops it
        (grader.checks.shards)."""
        self._worker = self._launched = None
        self._lease = None
        self._closed = True

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
        launched, self._launched = self._launched, None
        if launched is not None:
            launched.stop()
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

    @contextlib.contextmanager
    def unwatched(self) -> Iterator[None]:
        """Calls whose in-place changes to their argument arrays nobody reads (a training
        loop's steps): the worker skips copying and comparing them (~0.6 ms a CS231n step of
        batch 64 on 784 inputs), and `last_mutated` stays empty."""
        before, self.watching = self.watching, False
        try:
            yield
        finally:
            self.watching = before

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

    def keep(self, value: Any, *, timeout_s: float | None = None) -> Any:
        """`value` (plain data: arrays, lists, dicts) sent once and kept in the worker behind a
        RemoteObject: a training set whose batches the steps then take there, `plan.method_keep(
        kept, "take", rows, axis=0, keep=calls.WHOLE)`, instead of each batch crossing."""
        plan = self.plan()
        kept = plan.method_keep(self.mapping(value=value, timeout_s=timeout_s), "get", "value",
                                keep=WHOLE, timeout_s=timeout_s)
        plan.run()
        return kept.value

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


__all__ = ["Sandbox", "RemoteObject", "Limits", "Rng", "DEFAULT_FORBIDDEN"]
