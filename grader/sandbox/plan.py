"""A Plan: several calls into the worker collected first, then made in one round trip.

    plan = sb.plan()
    for W_ in perturbed:                 # each W_: (in, out)
        plan.set(layer, "W", W_)
        out = plan.method(layer, "forward", x)       # a Step; x: (N, in)
    plan.run()                           # one request; out.value: (N, out)

    steps = sb.plan()
    lin = steps.new("layers", "Linear", 3, 5)        # a later step may be made on it
    out = steps.method(lin, "forward", x)
    act = steps.method(relu, "forward", out)         # an argument may be an earlier step's value
    dx = steps.method(lin, "backward", g)
    dW = steps.get(lin, "dW")
    steps.run()

    steps = sb.plan()
    out = steps.method_keep(net, "loss", X, y, keep=(1,))   # [loss, grads]: grads stay there
    nxt = steps.call_keep("optim", "sgd", w, out[1]["W1"], config, keep=(0, 1))
    steps.run()                                             # grads["W1"] never crossed

    steps = sb.plan()                                       # X: a data set kept in the worker
    rows = steps.method_keep(X, "take", idx, axis=0, keep=calls.WHOLE)  # X[idx], kept there
    loss = steps.method_keep(net, "loss", rows, y, keep=(1,))

Each step is the call `Sandbox.new`, `.call`, `RemoteObject.call`, `.get`, `.has` or `.set` would
make, with the same name for hints and the ledger, the same limits and the same failure:
the worker runs the steps back to back and answers each as it finishes, and the grader
reads the answers one by one under each call's own time limit, so a step that fails raises
exactly what it would raise alone, and the steps after it do not run (see client.py). A set
(but a plan's last step) is answered only should it fail, as a deferred set is: the next
step's answer says it ran.
A step given as a (positional) argument is passed on by the worker as the grader would have
passed its value: through the channel both ways (arrays copied, objects as handles); a
step's part (`step[1]["W1"]`) passes that part of its value, looking through a part the
worker kept (`method_keep`, `call_keep`) to its object, which then never crosses at all.
Arrays are sent when the plan runs: do not change them in between.
"""

from __future__ import annotations

from typing import Any

from .calls import (Call, function_call, getattr_call, hasattr_call, keep_call, method_call, method_keep_call,
                    new_call, setattr_call)
from .client import Sandbox
from .remote import RemoteObject


class Step:
    """One call of a Plan; `value` is its result once the plan has run (after a lazy run,
    reading the value of the step that failed, or of one after it, raises the failure)."""

    __slots__ = ("index", "type_name", "_value", "_failure")

    def __init__(self, index: int, type_name: str = "") -> None:
        self.index = index
        self.type_name = type_name  # the class a `new` step builds (for a later step's name)
        self._value: Any = None
        self._failure: Exception | None = None

    @property
    def value(self) -> Any:
        if self._failure is not None:
            raise self._failure
        return self._value

    def __getitem__(self, key: int | str) -> "StepPart":
        return StepPart(self, (key,))


class StepPart:
    """A part of a Step's value, `step[i][key]...`, to pass as a later step's argument."""

    __slots__ = ("step", "path")

    def __init__(self, step: Step, path: tuple[int | str, ...]) -> None:
        self.step, self.path = step, path

    def __getitem__(self, key: int | str) -> "StepPart":
        return StepPart(self.step, (*self.path, key))


class Plan:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.calls: list[Call] = []
        self.steps: list[Step] = []

    def _add(self, call: Call, type_name: str = "") -> Step:
        step = Step(len(self.calls), type_name)
        self.calls.append(call)
        self.steps.append(step)
        return step

    def _target(self, obj: RemoteObject | Step) -> tuple[Any, str, int | None]:
        """(the request's "h", the type's name, the earlier step it is the value of)."""
        if isinstance(obj, Step):
            if obj.index >= len(self.calls) or self.steps[obj.index] is not obj or not obj.type_name:
                raise TypeError("a step may only be made on an earlier `new` step of the same plan")
            return None, obj.type_name, obj.index
        return obj, obj.type_name, None

    def _passed(self, args: tuple[Any, ...]) -> tuple[list[Any], tuple[tuple[Any, ...], ...]]:
        """(the arguments to send, (position, step, *path) of each that is an earlier step's
        value or a part of it): the worker passes it on as the grader would have, without a
        round trip."""
        sent, passed = list(args), []
        for position, arg in enumerate(args):
            step, path = (arg.step, arg.path) if isinstance(arg, StepPart) else (arg, ())
            if isinstance(step, Step):
                if step.index >= len(self.calls) or self.steps[step.index] is not step:
                    raise TypeError("an argument may only be the value of an earlier step of the same plan")
                sent[position] = None
                passed.append((position, step.index, *path))
        return sent, tuple(passed)

    def new(self, module: str, cls: str, /, *args: Any, timeout_s: float | None = None,
            **kwargs: Any) -> Step:
        sent, passed = self._passed(args)
        return self._add(new_call(module, cls, sent, kwargs, timeout_s).carrying(passed), cls)

    def call(self, module: str, func: str, /, *args: Any, timeout_s: float | None = None,
             **kwargs: Any) -> Step:
        sent, passed = self._passed(args)
        return self._add(function_call(module, func, sent, kwargs, timeout_s).carrying(passed))

    def call_keep(self, module: str, func: str, /, *args: Any, keep: tuple[int, ...] | str = (1,),
                  timeout_s: float | None = None, **kwargs: Any) -> Step:
        sent, passed = self._passed(args)
        return self._add(keep_call(module, func, sent, kwargs, keep, timeout_s).carrying(passed))

    def method(self, obj: RemoteObject | Step, name: str, /, *args: Any, timeout_s: float | None = None,
               **kwargs: Any) -> Step:
        h, type_name, on = self._target(obj)
        sent, passed = self._passed(args)
        return self._add(method_call(h, type_name, name, sent, kwargs, timeout_s, on).carrying(passed))

    def method_keep(self, obj: RemoteObject | Step, name: str, /, *args: Any,
                    keep: tuple[int, ...] | str = (1,), timeout_s: float | None = None,
                    **kwargs: Any) -> Step:
        """`method`, whose result's parts at `keep` stay in the worker (RemoteObjects here);
        `keep=WHOLE` (calls.WHOLE): the whole result, whatever it is."""
        h, type_name, on = self._target(obj)
        sent, passed = self._passed(args)
        call = method_keep_call(h, type_name, name, sent, kwargs, keep, timeout_s, on)
        return self._add(call.carrying(passed))

    def get(self, obj: RemoteObject | Step, name: str, *default: Any,
            timeout_s: float | None = None) -> Step:
        h, type_name, on = self._target(obj)
        return self._add(getattr_call(h, type_name, name, default, timeout_s, on))

    def gets(self, objects: list[RemoteObject], *names: str) -> list[tuple[Step, ...]]:
        """`(get(obj, name) for name in names)` for each of `objects`, in that order."""
        return [tuple(self.get(obj, name) for name in names) for obj in objects]

    def has(self, obj: RemoteObject | Step, name: str, *, timeout_s: float | None = None) -> Step:
        h, type_name, on = self._target(obj)
        return self._add(hasattr_call(h, type_name, name, timeout_s, on))

    def set(self, obj: RemoteObject | Step, name: str, value: Any, *,
            timeout_s: float | None = None) -> Step:
        h, type_name, on = self._target(obj)
        return self._add(setattr_call(h, type_name, name, value, timeout_s, on))

    def run(self, *, lazy: bool = False) -> list[Any]:
        """Make the calls; every step's value, in order (None for a set). The first call that
        fails raises its failure here, or, when `lazy`, where its step's value is read (a
        check that reads the values in order, judging each, then fails where it would have
        failed calling them one by one)."""
        values: list[Any] = []
        try:
            self.sandbox.run_plan(self.calls, values)
        except Exception as failure:
            if not lazy:
                raise
            for step in self.steps[len(values):]:
                step._failure = failure
        for step, value in zip(self.steps, values):
            step._value = value
        return values


def with_attributes(objects: list[Any], *names: str) -> list[Any]:
    """The RemoteObjects of `objects` (the rest are plain values: skipped) that have every
    attribute in `names`: one round trip per name (a plan of `hasattr` on each object still
    in), where asking each object in turn took one per object and name."""
    objects = [obj for obj in objects if isinstance(obj, RemoteObject)]
    for name in names:
        if not objects:
            break
        plan = objects[0].plan()
        found = [plan.has(obj, name) for obj in objects]
        plan.run()
        objects = [obj for obj, step in zip(objects, found) if step.value]
    return objects
