"""How a Sandbox's requests travel: one call, or a plan of several in one request whose
replies stream back, each judged as the call alone would be (see client.py's docstring).

`RequestEngine` is the part of `Sandbox` that sends requests and reads their replies: the
refusals and imports a call needs first, its time limit against the run's deadline, the
output markers of a plan, the ledger, and the failure each reply tells. It works on the
Sandbox's own state (its worker, ledger, limits, deferred sets), set up in client.py.
"""

from __future__ import annotations

import time
from typing import Any

from . import channel
from .calls import MAX_PLAN_STEPS, Call, KeptPartError
from .capture import STACK_HEADER, student_frames
from .errors import ChannelViolation, RunDeadlineReached, StudentFailure, StudentTimeout, WorkerDied
from .failures import gone_failure, reported_failure
from .process import WorkerGone, WorkerProcess

# Requests whose array arguments the worker watches for in-place changes (worker_ops._WATCHED_OPS).
_WATCHED_OPS = frozenset({"call", "method", "call_keep", "method_keep", "new"})
# Plan steps answered only should they fail, unless last (their success: the next step's
# reply); the worker honours it for its deferrable requests (worker._DEFERRABLE_OPS).
_QUIET_OPS = frozenset({"setattr"})
# Requests that need a student module imported first.
_MODULE_OPS = frozenset({"module", "new", "call", "call_keep", "module_has"})


class RequestEngine:
    #: Whether the worker watches the array arguments of calls for in-place changes (see
    #: `Sandbox.unwatched`): every call is watched unless the caller says nobody will ask.
    watching: bool = True

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
        if not self.watching:  # copies: a call's own request is sent as it is elsewhere
            wire = [dict(w, watch=False) if w["op"] in _WATCHED_OPS else w for w in wire]
        # A plan's setattr, but its last step, is answered by the next step's reply (the worker
        # answers it only should it fail), as a deferred set travels with the next request:
        # one reply less per set (CS231n's self-check: ~900 of its ~4,200 replies).
        wire = [dict(w, quiet=True) if w["op"] in _QUIET_OPS and k < len(calls) - 1 else w
                for k, w in enumerate(wire)]
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
        quiet: list[tuple[int, Call]] = []  # quiet steps whose success the next reply tells
        for k, call in enumerate(calls):
            if call.on is not None and call.on >= first:
                call = call.named_for(done[call.on])
                self.ledger.record(call.what, call.target)
            if k:
                stop, by_deadline = self._stop_before(call)
                if stop is not None:  # the worker runs on: read its replies, keep none
                    self._abandon(worker, sum(1 for w in wire[k:] if not w.get("quiet")), marker)
                    raise stop
            if wire[k].get("quiet"):
                quiet.append((k, call))
                continue
            if call.request["op"] in _WATCHED_OPS:
                try:
                    self._last_call = (call.wire(done, len(done)) if call.on is not None or call.args_from
                                       else {key: value for key, value in wire[k].items()
                                             if key not in ("seq", "free", "mute", "before")}, call.what)
                except KeptPartError:  # an argument kept in the worker: the call cannot be made again alone
                    self._last_call = None
            first_reply = k == len(quiet)  # every step before is quiet: the request goes now
            value, since = self._receive(worker, parts if first_reply else [], call,
                                         deferred if first_reply else [],
                                         marker, k if marker else None, since, by_deadline, quiet, done)
            quiet = []
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
                 marker: bytes | None, step: int | None, since: float, by_deadline: float,
                 quiet: list[tuple[int, Call]], done: list[Any]) -> tuple[Any, float]:
        """Wait for `call`'s reply (sending `parts` first) and return (its value, when it came),
        or raise how it failed. `since`: when the call could start (its time for the budget);
        `by_deadline`: the seconds left before the run's deadline; `quiet`: the plan's steps
        (index, call) before it that are answered only should they fail, whose values (None)
        go to `done` once the reply shows they ran. A quiet step that hangs is this call's
        timeout, as a deferred set's is."""
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
            failure = gone_failure(gone, what, timeout, output=self.last_output,
                                   cpu_limit=self._base_limits.cpu_time_s)
            if where and isinstance(failure, StudentTimeout):
                failure.message = f"{failure.message.rstrip('.')}; when stopped it was at {where}."
            self.ledger.failed(what, failure)
            raise failure from None
        came = time.monotonic()
        elapsed = came - since
        try:
            # The reply's arrays are views on its own payload, a buffer read for this frame
            # alone: copying them again cost CS231n's training ~0.2 GB of copies per run.
            reply = channel.decode(payload, on_handle=self._from_wire, copy_arrays=False)
            if type(reply) is not dict or reply.get("seq") not in (self._seq, None):
                raise ChannelViolation("the worker's reply does not match the request")
            answered = reply.get("step", step)
            for index, quiet_call in quiet:
                if index == answered:  # this quiet step failed: the ones before it ran
                    if "err" not in reply:
                        raise ChannelViolation("the worker's reply does not match the request")
                    what = quiet_call.what
                    break
                self.ledger.finished(quiet_call.what, 0.0, counted=False)
                done.append(None)
            else:
                if answered != step:
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
            failure = reported_failure(reply.get("err"), what, output=self.last_output, ledger=self.ledger,
                                       memory_mb=self._base_limits.memory_mb)
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
