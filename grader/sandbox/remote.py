"""RemoteObject: a student object living in the worker, as the checks hold it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .calls import Call, getattr_call, hasattr_call, method_call, method_keep_call, setattr_call

if TYPE_CHECKING:
    from .client import Sandbox


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
                  sets: list[dict[str, Any]] | None = None, keep: tuple[int, ...] | None = None,
                  timeout_s: float | None = None) -> list[Any]:
        """`[self.call(name, *args) for args in arguments]` in one round trip (a plan): the
        same values, or the failure the first failing call would raise alone. `sets[i]`: the
        attributes set just before the i-th call, as `set` then `call` would. `keep`: the
        positions of each result that stay in the worker (RemoteObjects here), as
        `Plan.method_keep` keeps them: parts the caller does not read need not cross."""
        calls: list[Call] = []
        made: list[int] = []  # the index of each method call among the plan's calls
        for i, args in enumerate(arguments):
            for attribute, value in (sets[i] if sets is not None else {}).items():
                calls.append(setattr_call(self, self.type_name, attribute, value, None))
            made.append(len(calls))
            calls.append(method_call(self, self.type_name, name, args, {}, timeout_s) if keep is None
                         else method_keep_call(self, self.type_name, name, args, {}, keep, timeout_s))
        values = self._sandbox.run_plan(calls)
        return [values[i] for i in made]

    def call_chain(self, *calls: tuple[str, tuple[Any, ...]], timeout_s: float | None = None) -> list[Any]:
        """`[self.call(name, *args) for name, args in calls]` in one round trip (a plan), e.g.
        forward then backward: the same values, or the failure the first failing call would
        raise alone (the calls after it never run)."""
        return self._sandbox.run_plan([method_call(self, self.type_name, name, args, {}, timeout_s)
                                       for name, args in calls])

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
        return bool(self._sandbox.run_plan([hasattr_call(self, self.type_name, name, timeout_s)])[0])

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
