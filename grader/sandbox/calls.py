"""The calls a Sandbox makes in the worker, as data: a request and how the grader names,
limits and budgets it (one builder per kind of call, shared by the direct API and Plans)."""

from __future__ import annotations

import dataclasses
from typing import Any


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
    # (argument position, plan call index, *path): the value of an earlier call of the plan,
    # or with a path (keys, indexes) the part of it there (`Plan`'s `step[1]["W1"]`).
    args_from: tuple[tuple[Any, ...], ...] = ()

    def named_for(self, value: Any) -> "Call":
        """This call named after the object it is made on, as the worker named its class
        (`Linear = Layer` in the student's module builds a Layer), like a call made alone."""
        actual = getattr(value, "type_name", "") if hasattr(value, "handle_id") else ""  # a RemoteObject
        if not actual or not self.type_name or actual == self.type_name:
            return self
        target = dict(self.target, type=actual) if self.target and "type" in self.target else self.target
        return dataclasses.replace(self, what=self.what.replace(f"{self.type_name}.", f"{actual}.", 1),
                                   target=target, type_name=actual)

    def wire(self, earlier: list[Any], first: int) -> dict[str, Any]:
        """The request to send, in a plan whose first call is the plan's call `first`:
        `on` names a call of this request's plan, or the value of an earlier one."""
        if self.on is None and not self.args_from:
            return self.request
        request = dict(self.request)
        if self.on is not None and self.on >= first:
            request["on"] = self.on - first
        elif self.on is not None:
            request["h"] = earlier[self.on]
        if self.args_from:
            # An argument from a call of this request's plan is filled in by the worker; one
            # from an earlier request is its value, as the grader received it.
            request["args"] = args = list(request["args"])
            refs = [[position, index - first, *path] for position, index, *path in self.args_from
                    if index >= first]
            for position, index, *path in self.args_from:
                if index < first:
                    args[position] = part_of(earlier[index], path)
            if refs:
                request["args_from"] = refs
        return request

    def carrying(self, args_from: tuple[tuple[Any, ...], ...]) -> "Call":
        """This call with the arguments at `args_from`'s positions taken from earlier calls."""
        return dataclasses.replace(self, args_from=args_from) if args_from else self


class KeptPartError(TypeError):
    """A path through a part kept in the worker, outside the request that kept it."""


def part_of(value: Any, path: list[Any]) -> Any:
    """The part of a value the grader received at `path`; KeptPartError when the path goes
    through a part kept in the worker (only a step of the same request can be given it)."""
    for key in path:
        if hasattr(value, "handle_id"):  # a RemoteObject
            raise KeptPartError("a part of a value kept in the worker can only be passed within its own "
                                "request")
        value = value[key]
    return value


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


#: `keep=WHOLE`: the whole result stays in the worker (a RemoteObject here), whatever it is.
WHOLE = "whole"


def _kept(keep: tuple[int, ...] | str) -> list[int] | str:
    return WHOLE if keep == WHOLE else list(keep)


def keep_call(module: str, func: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any],
              keep: tuple[int, ...] | str, timeout_s: float | None) -> Call:
    """`module.func(*args, **kwargs)` whose result's parts at `keep` stay in the worker."""
    return Call({"op": "call_keep", "module": module, "name": func, "args": list(args), "kwargs": kwargs,
                 "keep": _kept(keep)}, f"{module}.{func}()", timeout_s, {"module": module, "attr": func})


def method_call(obj: Any, type_name: str, name: str, args: tuple[Any, ...] | list[Any],
                kwargs: dict[str, Any], timeout_s: float | None, on: int | None = None) -> Call:
    """`obj.name(*args, **kwargs)`, `obj` a RemoteObject (or, with `on`, a plan's earlier value)."""
    return Call({"op": "method", "h": obj, "name": name, "args": list(args), "kwargs": kwargs},
                f"{type_name}.{name}()", timeout_s, {"type": type_name, "attr": name}, on=on,
                type_name=type_name if on is not None else "")


def method_keep_call(obj: Any, type_name: str, name: str, args: tuple[Any, ...] | list[Any],
                     kwargs: dict[str, Any], keep: tuple[int, ...] | str, timeout_s: float | None,
                     on: int | None = None) -> Call:
    """`obj.name(*args, **kwargs)` whose result's parts at `keep` stay in the worker."""
    call = method_call(obj, type_name, name, args, kwargs, timeout_s, on)
    call.request.update(op="method_keep", keep=_kept(keep))
    return call


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


def hasattr_call(obj: Any, type_name: str, name: str, timeout_s: float | None, on: int | None = None) -> Call:
    """`hasattr(obj, name)` (it runs the student's properties: an exception other than
    AttributeError is the student's failure)."""
    return Call({"op": "hasattr", "h": obj, "name": name}, f"looking up {type_name}.{name}", timeout_s,
                on=on, type_name=type_name if on is not None else "")


def setattr_call(obj: Any, type_name: str, name: str, value: Any, timeout_s: float | None,
                 on: int | None = None) -> Call:
    """`obj.name = value`."""
    return Call({"op": "setattr", "h": obj, "name": name, "value": value},
                f"setting {type_name}.{name}", timeout_s, on=on, type_name=type_name if on is not None else "")
