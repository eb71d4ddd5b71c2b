"""Call recording inside the worker ("spies"), used by the training checks.

`install(obj, name)` shadows the method `name` on that one instance with a
wrapper that records, per call, the shapes of the arguments and a per-row
fingerprint of the first ndarray argument: its rows (flattened) dotted with a
fixed vector, so the grader can tell which samples went into which batch
without shipping the batches back. Stdlib + numpy only.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

MAX_RECORDS = 100_000
# Bound at load: student code may monkeypatch numpy.
_ndarray = np.ndarray
_asarray = np.asarray
_float64 = np.dtype(np.float64)


def _fingerprint_vector(d: int) -> np.ndarray:
    """A fixed (d,) float64 vector with distinct, irregular entries."""
    return np.cos(np.arange(d, dtype=_float64) * 0.7548776662 + 0.5) + 1.5


@functools.lru_cache(maxsize=8)
def _vector(d: int) -> np.ndarray:
    v = _fingerprint_vector(d)
    v.flags.writeable = False
    return v


def fingerprint(x: np.ndarray) -> np.ndarray:
    """(N,) float64: row i of x (shape (N, ...)) flattened, dotted with the fixed vector.

    A 0-d array gives a single value; a 1-d array (N,) gives its values as float64.
    """
    a = _asarray(x)
    if a.ndim == 0:
        return a.astype(_float64).reshape(1)
    rows = a.reshape(a.shape[0], -1).astype(_float64, copy=False)
    return rows @ _vector(rows.shape[1])


def _shape(v: Any) -> list[int] | None:
    return list(v.shape) if isinstance(v, _ndarray) else None


class Spy:
    def __init__(self, method: Any) -> None:
        self.method = method
        self.log: list[dict[str, Any]] = []
        self.dropped = 0
        self.calls = 0

    def record(self, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        self.calls += 1
        if len(self.log) >= MAX_RECORDS:
            self.dropped += 1
            return
        entry: dict[str, Any] = {
            "call": self.calls,
            "arg_shapes": [_shape(a) for a in args],
            "kwarg_shapes": {k: _shape(v) for k, v in kwargs.items()},
            "result_shape": _shape(result),
            "fingerprint": None,
        }
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, _ndarray):
                try:
                    entry["fingerprint"] = fingerprint(a)
                except (TypeError, ValueError):  # e.g. a non-numeric dtype
                    pass
                break
        self.log.append(entry)

    def take(self) -> list[dict[str, Any]]:
        log, self.log = self.log, []
        return log


def install(obj: Any, name: str, spies: dict[tuple[int, str], Spy]) -> None:
    """Wrap `obj.name` (idempotent). Raises AttributeError if absent or not settable."""
    key = (id(obj), name)
    if key in spies:
        return
    method = getattr(obj, name)
    if not callable(method):
        raise AttributeError(f"{type(obj).__name__}.{name} is not callable")
    spy = Spy(method)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        spy.record(args, kwargs, result)
        return result

    # Shadow the class's method on this instance only (needs an instance __dict__).
    obj.__dict__[name] = wrapper
    spies[key] = spy
