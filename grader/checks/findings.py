"""From a difference to the CheckFailure a student reads: `require_array`/`require_scalar`
(shape, dtype, None, a stub), `mismatch` (a named signature or the generic id, with both
values shown, summarised when too big), the student's own shape errors (`shape_errors`,
`Guarded`) and argument arrays changed in place (`call_watched`).
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from grader.checks.framework import CheckFailure, diagnosis
from grader.checks.gradcheck import relative_error
from grader.checks.signatures.match import _numeric, fmt
from grader.checks.signatures.structure import dtype_signature, shape_signature
from grader.results import Diagnosis


def raise_first(found: Iterable[Diagnosis | None], *, message: str = "") -> None:
    """Raise a CheckFailure for the first non-None diagnosis, if any."""
    for d in found:
        if d is not None:
            raise CheckFailure(d, message=message)


def require_numeric(actual: object, *, what: str, shape: tuple[int, ...] | None = None) -> None:
    """`actual` must be numeric: None, a `return NotImplemented` stub or a student object
    each get their own words (`shape`, when known, is said in the fix)."""
    wanted = "an array" if shape is None else f"an array of shape {tuple(shape)}"
    if actual is None:
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} is None: the method must return "
                                     f"(or set) {wanted}"))
    # A student object stays in the worker; its own class name is what the student wrote.
    kind = getattr(actual, "type_name", None) or type(actual).__name__
    if kind == "NotImplementedType":
        # MyTorch's handouts stub methods with `return NotImplemented`.
        raise CheckFailure(diagnosis("missing-api", f"{what} is NotImplemented: the handout's stub "
                                     f"is still there; return {wanted}"))
    if not _numeric(actual):
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} is a {kind}, not a numeric {wanted[3:]}"))


def require_array(actual: object, shape: tuple[int, ...], *, what: str, kinds: str = "f",
                  extra: Callable[[], Diagnosis | None] | None = None) -> np.ndarray:
    """`actual` must be an array of `shape` and dtype float64 (kinds="f") or integer ("i").

    `extra` is tried before the generic shape-mismatch (e.g. the bias-gradient signature).
    """
    require_numeric(actual, what=what, shape=shape)
    arr = np.asarray(actual)
    if tuple(arr.shape) != tuple(shape):
        found = extra() if extra is not None else None
        raise CheckFailure(found or shape_signature(arr, shape, what=what))  # type: ignore[arg-type]
    found = dtype_signature(arr, what=what, kinds=kinds)
    if found is not None:
        raise CheckFailure(found)
    return arr


def require_scalar(actual: object, *, what: str) -> float:
    """A loss: a Python float, a NumPy scalar or a 0-d (or 1-element) float array."""
    if actual is None or not _numeric(actual) or np.asarray(actual).size != 1:
        shape = None if actual is None else np.asarray(actual).shape
        raise CheckFailure(diagnosis("shape-mismatch", f"{what} returns "
                                     f"{'None' if actual is None else 'an array of shape ' + str(shape)}; "
                                     "it must return a single float (the mean loss)"))
    arr = np.asarray(actual)
    if arr.dtype.kind == "f" and arr.dtype != np.float64:
        raise CheckFailure(diagnosis("dtype", f"{what} returns a {arr.dtype} value; compute and "
                                     "return the loss in float64"))
    return float(arr.reshape(-1)[0])


class shape_errors:
    """`with shape_errors("Linear.backward"):` turns the student's own shape error (a ValueError
    from matmul or broadcasting) into shape-mismatch, naming the operands' problem."""

    MARKERS = ("matmul", "could not be broadcast", "not aligned", "shapes", "dimension")

    def __init__(self, what: str, hint: str = "") -> None:
        self.what, self.hint = what, hint

    def __enter__(self) -> "shape_errors":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        from grader.sandbox import StudentException

        if exc is None or not isinstance(exc, StudentException):
            return False
        if exc.exc_type != "ValueError" or not any(m in exc.message for m in self.MARKERS):
            return False
        hint = self.hint or (f"{self.what} multiplies or adds arrays of incompatible shapes: check "
                             "each product's operands (and where a transpose .T is needed)")
        raise CheckFailure(diagnosis("shape-mismatch", hint), message=f"{hint}\n{exc.message}",
                           output=exc.output) from None


#: Arrays with more entries (or rows) than this are summarised in a message, not printed:
#: a 64 x 64 dump wraps mid-row at 80 columns and hides where the two arrays differ.
SUMMARY_ENTRIES = 12
SUMMARY_ROWS = 4
#: How many differing entries a summary lists, got and expected side by side.
SUMMARY_SHOWN = 5


def _too_big(arr: np.ndarray) -> bool:
    return arr.size > SUMMARY_ENTRIES or (arr.ndim >= 2 and arr.shape[0] > SUMMARY_ROWS)


def _number(x: float) -> str:
    return f"{x:.4g}"


def array_summary(actual: object, expected: object) -> str | None:
    """Two same-shaped arrays too big to print, told as a reader compares them: the shape, how
    many entries differ and the largest difference, then the first differing entries with got
    and expected side by side. None when both are small enough to print whole, or not arrays
    of one shape (the caller prints them)."""
    a = np.asarray(actual, dtype=np.float64) if _numeric(actual) else None
    e = np.asarray(expected, dtype=np.float64) if _numeric(expected) else None
    if a is None or e is None or a.shape != e.shape or not (_too_big(a) or _too_big(e)):
        return None
    scale = max(float(np.max(np.abs(e), initial=0.0)), 1e-12)
    differ = ~np.isclose(a, e, rtol=1e-6, atol=1e-9 * scale, equal_nan=True)
    where = np.argwhere(differ)
    n = int(differ.sum())
    if n == 0:
        return None
    diff = np.where(differ, np.abs(a - e), 0.0)
    worst = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(np.nan_to_num(diff, nan=np.inf))), a.shape))
    shape = "x".join(str(d) for d in a.shape)
    place = _where_2d(differ) if a.ndim == 2 else ""
    lines = [f"shape {tuple(a.shape)}: {n:,} of {a.size:,} entries differ{place}",
             f"the largest difference at {list(worst)}: got {_number(a[worst])}, expected {_number(e[worst])}",
             f"the first {'ones' if min(n, SUMMARY_SHOWN) > 1 else 'one'}:"]
    shown = [tuple(int(k) for k in i) for i in where[:SUMMARY_SHOWN]]
    # Columns as wide as their widest entry: narrow enough for a phone, aligned for the eye.
    index_width = max(len(str(list(at))) for at in shown)
    got_width = max(len(_number(a[at])) for at in shown)
    want_width = max(len(_number(e[at])) for at in shown)
    for at in shown:
        lines.append(f"  {str(list(at)):<{index_width}}  got {_number(a[at]):>{got_width}}  "
                     f"expected {_number(e[at]):>{want_width}}")
    if n > SUMMARY_SHOWN:
        lines.append(f"  ... and {n - SUMMARY_SHOWN:,} more of the {shape} entries")
    return "\n".join(lines)


def _span(indices: np.ndarray, total: int, noun: str) -> str:
    """"rows 0-15", "every column", "3 of 64 columns"."""
    if len(indices) == total:
        return f"every {noun}"
    if len(indices) == 1:
        return f"{noun} {int(indices[0])}"
    if int(indices[-1]) - int(indices[0]) + 1 == len(indices):
        return f"{noun}s {int(indices[0])}-{int(indices[-1])}"
    return f"{len(indices)} of {total} {noun}s"


def _where_2d(differ: np.ndarray) -> str:
    rows = np.flatnonzero(differ.any(axis=1))
    cols = np.flatnonzero(differ.any(axis=0))
    return f", in {_span(rows, differ.shape[0], 'row')} and {_span(cols, differ.shape[1], 'column')}"


def mismatch(diagnosis_id: str, hint: str, *, actual: object, expected: object,
             found: Diagnosis | None = None) -> CheckFailure:
    """The failure for a value that differs from the reference: a named signature if one
    explains it, else `diagnosis_id` with `hint`; the message shows both values (summarised
    when they are too big to read: see `array_summary`)."""
    summary = array_summary(actual, expected)
    if summary is not None:
        message = f"{(found.hint if found else hint)}\n" + "\n".join("  " + line for line in summary.split("\n"))
        return CheckFailure(found or diagnosis(diagnosis_id, hint), message=message)
    got, want = fmt(actual), fmt(expected)
    close = ""
    if got == want:
        # Printed alike, the message would contradict itself ("got 5.2394, expected
        # 5.2394"): show the digits where they part, by how much, and the usual causes.
        got, want, close = _distinguish(actual, expected)
        if found is None:
            hint = f"{hint} ({close})"
    # Continuation rows of a 2-D value line up under its first row, not under the label.
    got, want = (text.replace("\n", "\n" + " " * 12) for text in (got, want))
    message = f"{(found.hint if found else hint)}\n  got:      {got}\n  expected: {want}"
    if close and found is not None:
        message += f"\n  {close}"
    return CheckFailure(found or diagnosis(diagnosis_id, hint), message=message)


#: What makes a result differ from the exact value by less than 4 printed digits.
NEAR_MISS_CAUSES = ("an epsilon inside a log or a division (np.log(p + 1e-12)), float32 "
                    "arithmetic, or a clipped value (np.clip)")


def _distinguish(actual: object, expected: object) -> tuple[str, str, str]:
    """Both values printed with enough digits to differ, and a sentence naming the gap."""
    a = np.asarray(actual, dtype=np.float64) if _numeric(actual) else None
    e = np.asarray(expected, dtype=np.float64) if _numeric(expected) else None
    if a is None or e is None or a.shape != e.shape:
        return fmt(actual), fmt(expected), ""
    got, want = fmt(a, 4), fmt(e, 4)
    for digits in (6, 8, 10, 12, 14, 17):
        got, want = fmt(a, digits), fmt(e, digits)
        if got != want:
            break
    err = relative_error(a, e)
    return got, want, (f"they agree to the printed digits but differ by a relative error of "
                       f"{err:.2g}, more than the check allows; common causes: "
                       f"{NEAR_MISS_CAUSES}")


# -- inputs modified in place (seen by the worker: Sandbox.last_mutated) -----------------
def call_watched(remote, method: str, *args, what: str):
    """`remote.call(method, *args)`; raises input-mutation, naming the student's line, if the call
    changed one of its argument arrays in place (one mechanism for every profile: the worker
    compares the arguments before and after each call, see grader.checks.mutation)."""
    from grader.checks.mutation import expect_unmodified

    result = remote.call(method, *args)
    expect_unmodified(remote._sandbox, what=what)
    return result


class Guarded:
    """A RemoteObject whose calls turn the student's shape errors into shape-mismatch
    (see `shape_errors`); everything else is passed through."""

    def __init__(self, remote, what: str, hint: str = "") -> None:
        self._remote, self._what, self._hint = remote, what, hint

    def call(self, method: str, *args, **kwargs):
        with shape_errors(f"{self._what}.{method}", self._hint):
            return self._remote.call(method, *args, **kwargs)

    @property
    def remote(self):
        """The RemoteObject itself (a Plan's steps are made on it)."""
        return self._remote

    def call_each(self, method: str, arguments, **kwargs):
        with shape_errors(f"{self._what}.{method}", self._hint):
            return self._remote.call_each(method, arguments, **kwargs)

    def calls_then_reads(self, calls: list[tuple[str, tuple]], reads: tuple[str, ...] = ()) -> tuple[list, list]:
        """([call(method, *args) for each call], [get(name) for each read]) in one round trip
        (a Plan), each failure raised as the calls one by one would raise it."""
        plan = self._remote.plan()
        made = [plan.method(self._remote, method, *args) for method, args in calls]
        got = [plan.get(self._remote, name) for name in reads]
        plan.run(lazy=True)
        values = []
        for step, (method, _) in zip(made, calls):
            with shape_errors(f"{self._what}.{method}", self._hint):
                values.append(step.value)
        return values, [step.value for step in got]

    def __getattr__(self, name: str):
        return getattr(self._remote, name)
