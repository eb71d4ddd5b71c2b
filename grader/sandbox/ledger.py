"""What each student function has cost so far, and which ones the grader no longer calls.

A hang is paid for once. When a call into student code times out, kills the
worker or hits the memory limit, its function is *blocked*: every later call of
it fails at once with the same diagnosis and a hint naming the check where it
first failed, instead of waiting out another time-out. The same happens to a
function whose finished calls have used up `function_budget_s` (`too-slow`).
The worker is told the blocked functions too (`targets`), so student code that
calls one of them (an MLP.forward calling a hung ReLU.forward) also stops at once.

Why block instead of retrying with a shorter limit: the default call limit is
about a thousand times what a correct call needs on the grader's inputs, so a
call that reaches it is a loop or a wait, not slowness; and a retry that passes
on one input and hangs on the next would make a Hypothesis check flaky, where
a blocked function gives every run the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import CallBlocked, StudentFailure, StudentMemoryError, StudentTimeout, StudentTooSlow, WorkerDied

# Failures worth remembering: repeating them costs seconds (a time-out, a worker
# restart), and they say nothing new the second time.
_BLOCKING = (StudentTimeout, StudentMemoryError, WorkerDied)


@dataclass
class FunctionRecord:
    """One student function (`what` reads like "ReLU.forward()") as the grader has seen it."""

    what: str
    target: dict[str, str] = field(default_factory=dict)  # how the worker finds it; {} = not patchable
    calls: int = 0
    seconds: float = 0.0          # wall time of its finished calls under the default limit
    blocked: StudentFailure | None = None
    where: str = ""               # the check in which it was blocked


class CallLedger:
    """The cost and the verdict of every student function called through one Sandbox."""

    def __init__(self, function_budget_s: float) -> None:
        self.function_budget_s = float(function_budget_s)
        self.records: dict[str, FunctionRecord] = {}
        # The check now running, set by the grading plugin and named in later hints
        # ("test_x.py::test_y", or a phrase such as "while importing the submission").
        self.context = ""
        # Bumped whenever a function is blocked, so the Sandbox knows to tell the worker.
        self.version = 0

    def record(self, what: str, target: dict[str, str] | None = None) -> FunctionRecord:
        found = self.records.get(what)
        if found is None:
            found = self.records[what] = FunctionRecord(what, dict(target or {}))
        elif target and not found.target:
            found.target = dict(target)
        return found

    def blocked(self, what: str) -> StudentFailure | None:
        found = self.records.get(what)
        return found.blocked if found is not None else None

    def finished(self, what: str, seconds: float, *, counted: bool) -> None:
        """A call returned after `seconds`; past its budget the function is blocked (too-slow)."""
        record = self.record(what)
        record.calls += 1
        if not counted or record.blocked is not None:
            return
        record.seconds += seconds
        if record.seconds > self.function_budget_s:
            per_call = record.seconds / record.calls
            self.block(what, StudentTooSlow(
                f"{what} took {record.seconds:.0f} s over {record.calls} calls (about {per_call:.1f} s a "
                f"call; a correct one takes milliseconds here), using up its {self.function_budget_s:g} s "
                "budget; the grader stopped calling it. Make it fast: no sleeps, no prints of whole "
                "arrays, no Python loops over elements"))

    def failed(self, what: str, failure: StudentFailure) -> None:
        """A call failed; remember the failures that cost time to repeat."""
        if isinstance(failure, _BLOCKING):
            self.block(what, failure)

    def block(self, what: str, failure: StudentFailure) -> StudentFailure:
        record = self.record(what)
        if record.blocked is None:
            record.blocked, record.where = failure, self.context
            self.version += 1
        return record.blocked

    def refusal(self, what: str, *, caller: str = "") -> StudentFailure:
        """The failure a later call of the blocked function `what` gets instead of running.

        `caller`: the function the grader called, when it is not `what` itself
        but student code that called `what` (the worker stopped it at its entry).
        """
        record = self.records[what]
        assert record.blocked is not None
        first = record.blocked
        where = record.where or "an earlier check"
        if not where.startswith(("while ", "an ")):
            where = f"in the check '{where}'"
        head = f"{caller} calls {what}, which" if caller and caller != what else what
        text = f"not run: {head} is not called again: {where}, {first.message}"
        copy = type(first).__new__(type(first))
        copy.__dict__.update(first.__dict__)
        copy.message, copy.output = text, ""
        copy.args = (text,)
        return copy

    def refuse(self, what: str, *, caller: str = "") -> CallBlocked:
        """The CallBlocked to raise instead of calling the blocked function `what`."""
        record = self.records[what]
        assert record.blocked is not None
        return CallBlocked(self.refusal(what, caller=caller), first=record.blocked, where=record.where)

    def targets(self) -> list[dict[str, str]]:
        """The blocked functions the worker can find, for it to stop them at their entry."""
        return [dict(r.target, label=r.what) for r in self.records.values()
                if r.blocked is not None and r.target]

    def summary(self) -> list[dict[str, Any]]:
        """Every blocked function, for the report: what, why, where."""
        return [{"function": r.what, "diagnosis": r.blocked.diagnosis, "check": r.where,
                 "calls": r.calls, "seconds": round(r.seconds, 3)}
                for r in self.records.values() if r.blocked is not None]
