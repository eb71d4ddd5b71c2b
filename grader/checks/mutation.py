"""Input mutation as a finding: a student call that changed its argument arrays in place.

The worker compares every call's top-level argument arrays before and after the call and
sends back which changed (`Sandbox.last_mutated`: positions, or keyword names). A check
calls `expect_unmodified` right after the call it cares about; on a change it re-runs the
call once with read-only arrays (`Sandbox.locate_mutation`), so NumPy raises at the
student's line that writes, and raises `input-mutation` naming that line:

    out = student.call("layers", "relu_forward", x)
    expect_unmodified(student, what="relu_forward", names=("x",))
"""

from __future__ import annotations

from typing import Any, Sequence

from grader.checks.framework import CheckFailure, diagnosis
from grader.sandbox import StudentFailure


def changed_arguments(sandbox_or_student: Any, names: Sequence[str] = ()) -> list[str]:
    """The last call's arguments changed in place, as words: `names[i]` for position i when
    given (else "argument i+1"), a keyword as its name."""
    sandbox = getattr(sandbox_or_student, "sandbox", sandbox_or_student)
    words = []
    for key in sandbox.last_mutated:
        if isinstance(key, int):
            words.append(names[key] if key < len(names) else f"argument {key + 1}")
        else:
            words.append(str(key))
    return words


def expect_unmodified(sandbox_or_student: Any, *, what: str, names: Sequence[str] = (),
                      ignore: Sequence[int | str] = (), course_misses: str = "") -> None:
    """Raise `input-mutation` if the last call (of `what`, e.g. "relu_forward") changed one of
    its argument arrays in place, naming the student's line that does it.

    `names`: the positional parameters' names, for the hint ("x", "dout"); `ignore`:
    positions or keywords the course lets the function update in place (CS231n's sgd
    updates `w`). Call it right after the call: any later call replaces what it reads.
    """
    sandbox = getattr(sandbox_or_student, "sandbox", sandbox_or_student)
    kept = [k for k in sandbox.last_mutated if k not in ignore and not (
        isinstance(k, int) and k < len(names) and names[k] in ignore)]
    if not kept:
        return
    changed = [names[k] if isinstance(k, int) and k < len(names) else
               (f"argument {k + 1}" if isinstance(k, int) else str(k)) for k in kept]
    try:
        site = sandbox.locate_mutation()
    except StudentFailure:  # the re-run itself failed (a time-out, a lost worker): no line then
        site = None
    where = (f" at {site['file']} line {site['line']}: `{site['code']}`"
             if site and site.get("code") else "")
    arrays = " and ".join(changed)
    hint = (f"{what} changes its input {arrays} in place{where}; the caller's array is then "
            "wrong (and a numerical gradient check of it fails): compute into a new array "
            "(e.g. out = np.maximum(x, 0) or x = x.copy() first)")
    raise CheckFailure(diagnosis("input-mutation", hint), course_misses=course_misses)
