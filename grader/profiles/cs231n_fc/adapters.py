"""The student's CS231n functions and classes, called through the sandbox.

CS231n's API is functional: `*_forward` returns `(out, cache)` and the matching
`*_backward(dout, cache)` consumes the cache. A cache is opaque (arrays, tuples, dicts, the
student's own objects), so it never crosses to the grader: `Sandbox.call_keep` leaves it in
the worker behind a RemoteObject, handed back as it is to the backward. `out` crosses as data.
Nothing here compares values: the checks do, against reference.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import fail
from grader.profiles.cs231n_fc.layout import DROPOUT_KEYWORDS, MODULES
from grader.sandbox import StudentException
from grader.training.runs import KeptRows

LAYERS, OPTIM, FC_NET = MODULES["layers"], MODULES["optim"], MODULES["fc_net"]


class CS231n:
    """The submission's `cs231n` package, as the checks call it."""

    def __init__(self, student: Any) -> None:
        self.sandbox = student.sandbox
        self.training_set = KeptRows(self.sandbox)  # for the training steps (training.py)
        self._callable: dict[tuple[str, str], bool] = {}

    def has(self, module: str, name: str) -> bool:
        """Whether the submission's `module.name` is callable, asked of the worker once per
        session: the normalisation checks ask before every example (~90 round trips of
        CS231n's self-check for 6 names). A module's functions are what its import defined."""
        key = (module, name)
        if key not in self._callable:
            self._callable[key] = self.sandbox.is_callable(module, name)
        return self._callable[key]

    def forward(self, name: str, *args: Any) -> tuple[np.ndarray, Any]:
        """`layers.name(*args)` -> (out, cache handle); a return that is not a pair is named."""
        return self._pair(name, self.sandbox.call_keep(LAYERS, name, *args, keep=(1,)))

    @staticmethod
    def _pair(name: str, result: Any) -> tuple[np.ndarray, Any]:
        if type(result) is not list or len(result) != 2:
            fail("missing-api", f"{name} must return a pair (out, cache), got {D.fmt(result)}")
        return result[0], result[1]

    def out(self, name: str, *args: Any) -> np.ndarray:
        """Only the forward's `out`."""
        return np.asarray(self.forward(name, *args)[0], dtype=np.float64)

    def out_each(self, name: str, arguments: list[tuple[Any, ...]]) -> list[np.ndarray]:
        """`out(name, *args)` for each args, in one round trip (numerical gradients)."""
        plan = self.sandbox.plan()
        steps = [plan.call_keep(LAYERS, name, *args, keep=(1,)) for args in arguments]
        plan.run()
        return [np.asarray(self._pair(name, step.value)[0], dtype=np.float64) for step in steps]

    def call(self, name: str, *args: Any, module: str = LAYERS) -> Any:
        return self.sandbox.call(module, name, *args)

    def pair(self, name: str, *args: Any, module: str = LAYERS, what: str,
             keep_second: bool = False) -> tuple[Any, Any]:
        """A function documented to return two values (a loss and dx, next_w and config);
        `keep_second` leaves the second in the worker (a config that only goes back there)."""
        if keep_second:
            result = self.sandbox.call_keep(module, name, *args, keep=(1,))
        else:
            result = self.sandbox.call(module, name, *args)
        if type(result) is not list or len(result) != 2:
            fail("missing-api", f"{name} must return {what}, got {D.fmt(result)}")
        return result[0], result[1]

    def pairs(self, name: str, arguments: list[tuple[Any, ...]], *, module: str = LAYERS, what: str,
              keep_second: bool = False) -> list[tuple[Any, Any]]:
        """`[pair(name, *args, ...) for args in arguments]` in one round trip (a plan): each
        result judged in order as `pair` judges it, so the first that is not a pair is named
        as before; a call that raises is raised where its result would be judged (lazy)."""
        plan = self.sandbox.plan()
        steps = [plan.call_keep(module, name, *args, keep=(1,)) if keep_second
                 else plan.call(module, name, *args) for args in arguments]
        plan.run(lazy=True)
        return self.judged_pairs(name, steps, what=what)

    @staticmethod
    def judged_pairs(name: str, steps: list[Any], *, what: str) -> list[tuple[Any, Any]]:
        """The values of a lazily run plan's `steps` (calls of `name`), each judged in order as
        `pair` judges it: a call that raised raises here, a value that is not a pair is named."""
        out = []
        for step in steps:
            result = step.value
            if type(result) is not list or len(result) != 2:
                fail("missing-api", f"{name} must return {what}, got {D.fmt(result)}")
            out.append((result[0], result[1]))
        return out

    def triple(self, name: str, dout: np.ndarray, cache: Any) -> list[Any]:
        """A backward documented to return (dx, dw, db) (or dx, dgamma, dbeta)."""
        result = self.sandbox.call(LAYERS, name, dout, cache)
        if type(result) is not list or len(result) != 3:
            fail("missing-api", f"{name} must return three gradients, got {D.fmt(result)}")
        return result

    @staticmethod
    def scalar(value: Any, *, what: str) -> float:
        """A loss: a Python or NumPy float (a 0-d or one-element array is accepted)."""
        if isinstance(value, (int, float, np.floating, np.ndarray)) and np.size(value) == 1:
            return float(np.asarray(value, dtype=np.float64).reshape(()))
        fail("shape-mismatch", f"{what} must be a scalar, got {D.fmt(value)}")

    def net(self, cls: str, *args: Any, dropout: float | None = None, **kwargs: Any) -> Any:
        """`fc_net.cls(...)` in the worker. `dropout` (a keep probability) is passed under the
        keyword the submission's year uses: dropout_keep_ratio (2021 on), else dropout."""
        if dropout is None:
            return self.sandbox.new(FC_NET, cls, *args, **kwargs)
        found = self.new_with_keyword(cls, args, kwargs, [(k, dropout) for k in DROPOUT_KEYWORDS])
        if found is None:
            fail("missing-api", f"{cls} accepts neither dropout_keep_ratio= nor dropout=")
        return found[0]

    def new_with_keyword(self, cls: str, args: tuple, kwargs: dict[str, Any],
                         spellings: list[tuple[str, Any]]) -> tuple[Any, str] | None:
        """`fc_net.cls(*args, keyword=value, **kwargs)` with the first (keyword, value) of
        `spellings` the constructor accepts -> (object, "keyword=value"); None when it
        accepts none of them (a year without that option)."""
        for keyword, value in spellings:
            try:
                return (self.sandbox.new(FC_NET, cls, *args, **{keyword: value}, **kwargs),
                        f"{keyword}={value!r}")
            except StudentException as exc:
                if exc.exc_type != "TypeError" or keyword not in exc.message:
                    raise
        return None


def student_loss(net, params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray | None):
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net.call("loss", X, y)


def student_losses(net, each: list[dict[str, np.ndarray]], X: np.ndarray, y: np.ndarray | None) -> list:
    """student_loss for each of `each` (a list of params), in one round trip; with labels,
    each result's grads stay in the worker (a numerical gradient reads the losses alone)."""
    return net.call_each("loss", [(X, y)] * len(each), keep=None if y is None else (1,),
                         sets=[{"params": {k: v.copy() for k, v in params.items()}} for params in each])
