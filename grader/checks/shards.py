"""Two check sessions on two cores: a grading run splits its checks into fixed halves.

The grader's own process is the bottleneck of a run (Hypothesis, the comparisons, the
channel): its sandbox worker idles most of the time. So `run_checks` forks once before
pytest starts; parent and child each run a whole pytest session over their own half of
the checks, each with its own sandbox worker, and the child sends its outcomes back.

What stays as it was:
- The halves are fixed by the checks alone (`shard_of`), never by the machine, the load
  or the timing: the same submission gets the same report on one core or many.
- A check's examples depend on the check and its seed only (Hypothesis is derandomized
  and sees no local constants, grader.checks.session), so a check draws the same
  examples in either half.
- Checks that share state run in the same half: every check of a module with the same
  parameters (a module's fixtures and a training recipe's memo are per module and per
  recipe). What each half keeps for itself: the sandbox worker and its ledger (a function
  that hangs is paid once per half, both halves waiting at once), the output budget.
- Student code still runs only in the sandbox workers; the child is the grader's own
  code, forked from the parent, and sends plain JSON (`CheckResult` fields), never pickles.
- A child that dies or overruns costs its checks, never the run: they are reported as the
  grader's own error (left out of the total) or as not run.

`SHARDS` is the number of halves (1: no fork, one session; tests compare the two).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import select
import signal
import sys
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

from grader.checks.costs import TRAINING_TAGS, Budget, check_weights, load_costs
from grader.checks.worker_start import SANDBOX_FACTS, merge_sandbox_facts
from grader.results import CheckResult

if TYPE_CHECKING:  # the runner asks how many workers to launch before it imports pytest
    import pytest

#: Sessions a grading run is split into (see the module docstring).
SHARDS = 2
#: Seconds the parent waits for the child past the run's deadline (the child's last
#: check is stopped at the deadline; then it closes its worker and reports).
PARTNER_GRACE_S = 3.0
#: Seconds the parent waits, once its half is over, for the report writer it readies (Readying).
READYING_WAIT_S = 5.0
_TICK = b"."  # the child finished a check (the parent's progress bar counts it)
INTERNAL_ERROR = 3  # pytest.ExitCode.INTERNAL_ERROR


def group_of(item: pytest.Item) -> tuple[str, str]:
    """Checks that share state: the same module, the same parameters."""
    callspec = getattr(item, "callspec", None)
    return str(getattr(item, "path", "")), callspec.id if callspec is not None else ""


def shard_of(items: Sequence[pytest.Item], tags: Sequence[str], training_weight: float,
             shards: int = SHARDS, *, weights: Sequence[float] | None = None) -> list[int]:
    """The half (0 .. shards-1) each of `items` runs in; `tags[i]`: item i's component.

    A group (`group_of`) weighs the sum of its checks' `weights` (their measured seconds,
    grader.checks.costs); without them, one per check, plus `training_weight` when it trains
    (its checks share one training run: the rubric's images x epochs / 1,000 times the
    profile's `training_cost`). Groups are placed heaviest first on the lightest half (ties:
    the lower half; equal weights: collection order), then the halves are numbered lightest
    first. Depends on the collected checks, the rubric and the shipped costs only, never on
    timing."""
    group_weights: dict[tuple[str, str], float] = defaultdict(float)
    for i, item in enumerate(items):
        group_weights[group_of(item)] += 1.0 if weights is None else weights[i]
    if weights is None:
        for group in {group_of(item) for item, tag in zip(items, tags) if tag in TRAINING_TAGS}:
            group_weights[group] += training_weight
    order = {group: i for i, group in enumerate(group_weights)}  # first seen: collection order
    load = [0.0] * shards
    placed: dict[tuple[str, str], int] = {}
    for group in sorted(group_weights, key=lambda g: (-group_weights[g], order[g])):
        half = min(range(shards), key=lambda h: (load[h], h))
        placed[group] = half
        load[half] += group_weights[group]
    # Half 0 is the parent's, which merges the sessions and writes the report after them: it
    # takes the lightest half and readies the report writer while the other half ends.
    ranked = sorted(range(shards), key=lambda h: (load[h], h))
    lightest_first = {half: rank for rank, half in enumerate(ranked)}
    return [lightest_first[placed[group_of(item)]] for item in items]


def training_weight(training_cost: float, rubric: Any) -> float:
    """What a group of training checks weighs besides its checks when the sessions split by
    count: the profile's `training_cost` per 1,000 images x epochs of the rubric's run."""
    return training_cost * Budget.of(rubric).workload / 1000


class Readying:
    """The parent's preparation for after the sessions (the report writer's imports, ~40 ms
    of CPU), run on a thread of its own once a core is free: when the child session's
    process exits (seen through a pidfd) or when this session's own checks are over
    (`finish`), whichever comes first. While both sessions run, the two cores are busy with
    them and their workers, and a thread would only slow this session's checks; after them,
    the preparation was on the run's last stretch whenever the parent's half ended last.
    Whatever `work` raises is ignored (what it prepares is done again where it is needed,
    and fails visibly there)."""

    def __init__(self, work: Callable[[], None], child_pid: int) -> None:
        self._work = work
        self._wake_r, self._wake_w = os.pipe()
        try:
            self._child: int | None = os.pidfd_open(child_pid)
        except (AttributeError, OSError):  # no pidfd here (not Linux >= 5.3): only `finish` wakes it
            self._child = None
        self._thread = threading.Thread(target=self._run, name="grader-readying", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        waits = [self._wake_r] if self._child is None else [self._wake_r, self._child]
        try:
            select.select(waits, [], [])
            self._work()
        except Exception:  # noqa: BLE001
            pass

    def finish(self) -> None:
        """This session's checks are over: wake the thread if the child has not, wait for it."""
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass
        self._thread.join(READYING_WAIT_S)
        for fd in (self._wake_r, self._wake_w, self._child):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def can_fork() -> bool:
    return SHARDS > 1 and hasattr(os, "fork")


def sessions() -> int:
    """How many check sessions a run has here (and so how many workers it launches)."""
    return SHARDS if can_fork() else 1


class Partner:
    """The child session, seen from the parent: its progress ticks, then its outcome."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self._buffer = bytearray()
        self._ticks_seen = 0
        self._eof = False
        self._reaped = False

    @classmethod
    def fork(cls) -> tuple["Partner | None", int | None]:
        """Fork the second check session. Returns (the child, None) in the parent and (None, the
        pipe to send ticks and the outcome on) in the child; (None, None) when fork failed: the
        parent then runs every check itself. Call it with no other thread running."""
        read_fd, write_fd = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None, None
        if pid == 0:  # pragma: no cover  (the child; its outcome is what the tests check)
            os.close(read_fd)
            _become_child(parent, write_fd)
            return None, write_fd
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        return cls(pid, read_fd), None

    def new_ticks(self) -> int:
        """Checks the child finished since the last call (never blocks)."""
        self._read_available()
        return self._count_new_ticks()

    def _count_new_ticks(self) -> int:
        end = self._buffer.find(b"{")
        ticks = (len(self._buffer) if end < 0 else end) - self._ticks_seen
        self._ticks_seen += ticks
        return ticks

    def _read_available(self) -> None:
        while not self._eof:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                return
            self._buffer += chunk

    def outcome(self, until: float | None, on_ticks: Callable[[int], None]) -> dict[str, Any] | None:
        """Wait for the child's outcome until time.monotonic() `until` (None: as long as it
        takes); None when it died, sent something unreadable, or was killed at `until`."""
        try:
            while not self._eof:
                self._read_available()
                if ticks := self._count_new_ticks():
                    on_ticks(ticks)
                if self._eof:
                    break
                wait = None if until is None else until - time.monotonic()
                if wait is not None and wait <= 0:
                    self.kill()
                    return None
                select.select([self.fd], [], [], wait)
        finally:
            self._close()
        self._reap()
        start = self._buffer.find(b"{")
        if start < 0:
            return None
        try:
            outcome = json.loads(bytes(self._buffer[start:]))
        except ValueError:
            return None
        return outcome if isinstance(outcome, dict) else None

    def kill(self) -> None:
        """Kill and reap the child (nothing once reaped: its pid may be another's by then)."""
        if self._reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()
        self._close()

    def _close(self) -> None:
        """Close the pipe once (outcome() reads it to the end; a kill may come first)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _reap(self) -> None:
        if self._reaped:
            return
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._reaped = True


def tick(fd: int | None) -> None:
    """In the child: one check finished."""
    if fd is not None:
        try:
            os.write(fd, _TICK)
        except OSError:
            pass


def _become_child(parent: int, fd: int) -> None:  # pragma: no cover
    """Right after the fork, in the child: it dies with the parent (a parent killed by a
    time-out or the batch leaves no session behind) and prints nothing of its own (the
    parent owns the terminal)."""
    try:
        from grader.sandbox import hardening

        hardening.prctl(hardening.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except BaseException:  # noqa: BLE001
        os._exit(1)


def send_and_exit(fd: int, outcome: Callable[[], dict[str, Any]]) -> NoReturn:  # pragma: no cover
    """In the child, once its session is over: send `outcome()` (plain JSON) and end with
    os._exit, so that none of the parent's code above the session (the runner, the CLI, exit
    handlers) runs a second time. Whatever goes wrong is sent as the outcome's failure."""
    try:
        data = json.dumps(outcome()).encode()
    except BaseException as exc:  # noqa: BLE001  (reported to the parent as data)
        data = json.dumps({"grader_failure": f"the second check session failed: {type(exc).__name__}: {exc}",
                           "code": INTERNAL_ERROR}).encode()
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


class TwoSessions:
    """The plugin's side of the two check sessions, mixed into `GradingPlugin` (as
    `WorkerLifecycle` is): the split after collection (`_split`), the child's outcome and
    the parent's merge of it."""

    # Set by GradingPlugin.__init__ (and its other bases).
    results: dict[str, CheckResult]
    credits: dict[str, float]
    report_data: dict[str, Any]
    done: set[str]
    deadline: float | None
    deadline_hit: str
    grader_failure: str
    progress: Any
    profile: Any
    shards: int
    shard: int
    partner_checks: set[str]
    _rubric: Any
    _tick_fd: int | None
    _partner: "Partner | None"
    _readying: "Readying | None"
    while_waiting: Callable[[], None] | None

    if TYPE_CHECKING:  # provided by GradingPlugin and WorkerLifecycle
        def _not_run(self, result: CheckResult) -> None: ...
        def adopt_spare(self) -> None: ...
        def close_spares(self) -> None: ...
        def close_sandbox(self) -> None: ...

    def _split(self, kept: list[tuple[pytest.Item, str, list[str]]], items: list[pytest.Item]) -> None:
        """Fork the second check session (grader.checks.shards) and keep this session's half
        of `items`. Here, after collection: both sessions share what it imported and built; and
        before the progress display starts its thread (fork wants no other thread)."""
        if self.shards < 2:
            return
        tags = [item_tags[0] for _, _, item_tags in kept]
        weights = check_weights([name for _, name, _ in kept], tags, Budget.of(self._rubric),
                                load_costs(self.profile.checks_dir))
        halves = shard_of([item for item, _, _ in kept], tags,
                          training_weight(self.profile.training_cost, self._rubric), self.shards, weights=weights)
        # Frozen before the fork: the collector never writes to the objects both sessions
        # share, so their pages stay shared (collection_finish freezes what is new since).
        gc.freeze()
        self._partner, tick_fd = Partner.fork()
        if tick_fd is not None:  # the child: the second half, its own worker, no display
            self.shard, self._tick_fd, self.progress = 1, tick_fd, None
            self.adopt_spare()
        elif self._partner is None:  # no fork: every check here
            self.shards = 1
            self.close_spares()
            return
        if self._partner is not None and self.while_waiting is not None:
            self._readying = Readying(self.while_waiting, self._partner.pid)
        self.partner_checks = {name for (_, name, _), half in zip(kept, halves) if half != self.shard}
        items[:] = [item for item, name, _ in kept if name not in self.partner_checks]

    def readied(self) -> None:
        """In the parent, once its checks are over: wait for what it readies (`Readying`)."""
        if self._readying is not None:
            self._readying.finish()
            self._readying = None

    def child_outcome(self, code: int) -> dict[str, Any]:
        """In the forked child, once its session is over: its checks' outcome, as plain JSON data."""
        self.close_sandbox()
        mine = [name for name in self.results if name not in self.partner_checks]
        return {"code": int(code), "grader_failure": self.grader_failure, "deadline_hit": self.deadline_hit,
                "checks": [dataclasses.asdict(self.results[name]) for name in mine],
                "credits": {name: self.credits[name] for name in mine if name in self.credits},
                "report_data": self.report_data}

    def merge_partner(self, outcome: dict[str, Any] | None, code: int) -> int:
        """Take the child's outcome into this (the parent's) results; returns the run's pytest
        code. A child that sent nothing costs its checks (not run past the deadline, else the
        grader's own error), never the others."""
        if outcome is None:
            for name in sorted(self.partner_checks, key=list(self.results).index):
                result = self.results[name]
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    self._not_run(result)
                else:
                    result.status = "error"
                    result.message = ("internal error in the grader (please report it): its second check "
                                      "session ended without a result")
                self.done.add(name)
            return code
        for raw in outcome.get("checks", []):
            result = CheckResult.from_dict(raw)
            if result.name in self.partner_checks:
                self.results[result.name] = result
                self.done.add(result.name)
        self.credits.update({k: float(v) for k, v in outcome.get("credits", {}).items() if k in self.partner_checks})
        order = list(self.results)
        merge_report_data(self.report_data, outcome.get("report_data", {}), order)
        # The run's deadline was hit in the earlier of the two checks running then.
        position = {name: i for i, name in enumerate(order)}
        theirs = str(outcome.get("deadline_hit") or "")
        if theirs and (not self.deadline_hit
                       or position.get(theirs, len(order)) < position.get(self.deadline_hit, len(order))):
            self.deadline_hit = theirs
        self.grader_failure = self.grader_failure or str(outcome.get("grader_failure") or "")
        return worst_code(code, int(outcome.get("code", INTERNAL_ERROR)))

    @property
    def tick_fd(self) -> int:
        assert self._tick_fd is not None, "only the forked check session has the pipe"
        return self._tick_fd

    def stop_partner(self) -> None:
        if self._partner is not None:
            self._partner.kill()


def worst_code(a: int, b: int) -> int:
    """The pytest exit code of two sessions together: an error wins, then a failed check
    (1), then a passed one (0), then "no check selected" (5)."""
    for code in (a, b):
        if code not in (0, 1, 5):
            return code
    return 1 if 1 in (a, b) else 0 if 0 in (a, b) else 5


def merge_report_data(mine: dict[str, Any], theirs: dict[str, Any], order: list[str]) -> None:
    """The child's report data into the parent's: the sandbox's facts added up, a list of
    facts (the conventions a session found) joined without repeats, anything else kept
    from whichever half produced it (each training run's data comes from one half)."""
    for key, value in theirs.items():
        if key not in mine:
            mine[key] = value
        elif key in SANDBOX_FACTS:
            mine[key] = merge_sandbox_facts(key, mine[key], value, order)
        elif isinstance(mine[key], list) and isinstance(value, list):
            mine[key] += [fact for fact in value if fact not in mine[key]]
