"""A warm start for every grading process of a batch: fork it from a process that is ready.

A fresh ``python -m grader run`` spends a second of CPU before its first check
(start Python, import NumPy, pytest, Hypothesis and the grader, load the data,
train the reference the training checks compare with), the same second for
every submission of a class. The fork server does that once per batch
(`warm_up`), then forks one grading process per submission (`serve`). Each
child is exactly the ``grader run`` the batch would have started: its own
session and process group (a time-out kills it and its sandbox workers), its
own log as stdout and stderr, the batch's working folder, ``grader.cli.main``
with the same arguments, and its exit status reported back. Student code still
runs only in each child's sandbox worker; the server itself runs none, and no
state flows between children (each starts from the server's state, none
returns any).

`ForkServer` is the batch's side: `run` asks for one grading process, waits
for its status, kills its group at the time-out; it raises `ServerGone` when
the server is not there (then the batch starts a fresh process instead, so a
broken server costs speed, never a grade).

Protocol, one JSON object per line: requests ``{"id", "argv", "cwd", "log"}`` on
the server's stdin; replies ``{"ready"}`` (or ``{"error"}``) once warm, then
``{"id", "pid"}`` per fork and ``{"id", "status"}`` per exit (a returncode as
`subprocess` words it: negative for a signal).
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from grader.exitcodes import BAD_INPUT, GRADER_FAILURE

#: How long the server may take to get warm before the batch grades without it.
READY_TIMEOUT_S = 180.0
#: How long a fork may take to be acknowledged (the server is single-threaded and only forks).
FORK_TIMEOUT_S = 30.0
#: How often the server looks for finished children while some are running.
REAP_INTERVAL_S = 0.05


class ServerGone(Exception):
    """The fork server is not running (or died): grade this submission in a fresh process."""


# --------------------------------------------------------------------------- the server process


def warm_up(rubric_file: str, seed: int | None, data: str | None) -> None:
    """Import what every grading imports, load the data, train the shared reference runs."""
    import hypothesis  # noqa: F401  (imported for the children)
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    import grader.checks.plugin  # noqa: F401
    import grader.cli  # noqa: F401
    from grader.profiles import DEFAULT_PROFILE
    from grader.reports import prepare_writers
    from grader.rubric import load_rubric
    from grader.runner import _load_data

    prepare_writers()  # every format: the writers are imported on first use otherwise
    rubric = load_rubric(rubric_file)
    if data is not None:
        rubric = rubric.with_overrides(**{"training.dataset": data})
    seed = rubric.seed if seed is None else seed
    dataset = _load_data(rubric, seed)
    if dataset is not None and rubric.profile == DEFAULT_PROFILE:
        from grader.training.session import warm_reference_runs

        warm_reference_runs(rubric, dataset, seed)
    # What is alive now is shared by every child: out of the collector's sight, so a
    # child's collections neither walk it nor write to (and so copy) its pages.
    gc.collect()
    gc.freeze()


def serve(replies: IO[bytes]) -> None:
    """Fork one grading process per request read on stdin until stdin closes."""
    children: dict[int, int] = {}  # pid -> request id
    pending = b""
    stdin_open = True
    while stdin_open or children:
        ready, _, _ = select.select([0] if stdin_open else [], [], [], REAP_INTERVAL_S if children else None)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                stdin_open = False
                # The batch is gone or done: nobody waits for what is still running.
                for pid in children:
                    _kill_group(pid)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = _fork_grading(request, replies)
                children[pid] = request["id"]
                _reply(replies, {"id": request["id"], "pid": pid})
        for pid, status in _reap(children):
            _reply(replies, {"id": children.pop(pid), "status": status})


def _reap(children: dict[int, int]) -> list[tuple[int, int]]:
    done = []
    for pid in list(children):
        try:
            waited, raw = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done.append((pid, -signal.SIGKILL))
            continue
        if waited == pid:
            done.append((pid, os.waitstatus_to_exitcode(raw)))
    return done


def _fork_grading(request: dict[str, Any], replies: IO[bytes]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 70  # EX_SOFTWARE: the child could not even start grading
    try:
        os.setsid()  # its own group: the batch's time-out kills it and its sandbox workers
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.close(replies.fileno())
        os.chdir(request["cwd"])
        _run_grader(request["argv"])
    finally:
        os._exit(code)  # only if the grading could not start: _run_grader ends the process


def _run_grader(argv: list[str]) -> NoReturn:
    """`grader ARGV` in this (forked) process, as `python -m grader ARGV` runs it, ending the
    process with its exit code (grader.cli.main: exit handlers, buffers, then the exit)."""
    from grader import cli

    sys.argv = ["grader", *argv]
    cli.main()


def _reply(replies: IO[bytes], message: dict[str, Any]) -> None:
    replies.write(json.dumps(message).encode() + b"\n")
    replies.flush()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main() -> None:
    """``python -m grader.forkserver RUBRIC_FILE SEED DATA`` (SEED and DATA: "-" for none)."""
    # Replies go on a private copy of stdout; fd 1 itself goes to /dev/null, so nothing
    # printed while warming up can corrupt the protocol (each child points fd 1 at its log).
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    rubric_file, seed, data = sys.argv[1:4]
    try:
        warm_up(rubric_file, None if seed == "-" else int(seed), None if data == "-" else data)
    except Exception as exc:  # the batch then grades in fresh processes; say why in its log
        _reply(replies, {"error": f"{type(exc).__name__}: {exc}"})
        sys.exit(1)
    _reply(replies, {"ready": True})
    serve(replies)


# --------------------------------------------------------------------------- the batch's side


@dataclass
class _Job:
    pid: int | None = None
    status: int | None = None
    done: threading.Event = field(default_factory=threading.Event)
    forked: threading.Event = field(default_factory=threading.Event)


class ForkServer:
    """The batch's handle on a warm server; thread-safe (`--jobs` threads share one)."""

    def __init__(self, rubric_file: Path, seed: int | None, data: str | None, *, env: dict[str, str],
                 log: Path) -> None:
        """Start the server and wait until it is warm; ServerGone if it cannot get there."""
        self._lock = threading.Lock()
        self._log = log
        self._jobs: dict[int, _Job] = {}
        self._next = 0
        self._gone = False
        argv = [sys.executable, "-m", "grader.forkserver", str(rubric_file),
                "-" if seed is None else str(seed), "-" if data is None else data]
        with log.open("wb") as err:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                          env=env, cwd=log.parent, start_new_session=True)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin, self._stdout = self._proc.stdin, self._proc.stdout
        first = _read_line_within(self._stdout, READY_TIMEOUT_S)
        if first is None or "ready" not in first:
            self.close()
            why = (first or {}).get("error", "it did not start")
            raise ServerGone(f"the fork server is not available ({why})")
        self._reader = threading.Thread(target=self._read_replies, name="forkserver-replies", daemon=True)
        self._reader.start()

    def run(self, argv: list[str], *, cwd: Path, log: Path, timeout_s: float) -> int | None:
        """Fork ``grader ARGV`` and wait for its returncode; None if it was killed at `timeout_s`.

        Raises ServerGone when the server cannot fork it, or died before the grading ended
        (its grading process is killed then, so a fresh one can take its place).
        """
        started = time.monotonic()
        job = _Job()
        with self._lock:
            if self._gone:
                raise ServerGone("the fork server has stopped")
            self._next += 1
            job_id = self._next
            self._jobs[job_id] = job
            try:
                self._stdin.write(json.dumps({"id": job_id, "argv": argv, "cwd": str(cwd),
                                              "log": str(log)}).encode() + b"\n")
                self._stdin.flush()
            except (OSError, ValueError):
                self._jobs.pop(job_id, None)
                raise ServerGone("the fork server has stopped") from None
        if not job.forked.wait(FORK_TIMEOUT_S) or job.pid is None:
            raise ServerGone("the fork server did not start the grading")
        left = max(0.0, timeout_s - (time.monotonic() - started))
        if not job.done.wait(left):
            _kill_group(job.pid)
            job.done.wait(10.0)
            return None
        if job.status is None:  # the server died while this grading ran: no status to trust
            _kill_group(job.pid)
            raise ServerGone("the fork server stopped during the grading")
        if job.status not in (0, 1, BAD_INPUT, GRADER_FAILURE):
            _kill_group(job.pid)  # died abruptly: its sandbox workers may outlive it in its group
        return job.status

    def _read_replies(self) -> None:
        for line in self._stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            job = self._jobs.get(message.get("id"))
            if job is None:
                continue
            if "pid" in message:
                job.pid = int(message["pid"])
                job.forked.set()
            if "status" in message:
                job.status = int(message["status"])
                self._jobs.pop(message["id"], None)
                job.done.set()
        with self._lock:  # EOF: the server is gone; release every waiter
            self._gone = True
            for job in self._jobs.values():
                job.forked.set()
                job.done.set()
            self._jobs.clear()

    def close(self) -> None:
        """Stop the server (it kills any grading still running) and wait for it."""
        with self._lock:
            self._gone = True
            try:
                self._stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill_group(self._proc.pid)
            self._proc.wait(timeout=10)
        self._stdout.close()
        try:
            if self._log.stat().st_size == 0:  # nothing to say: no clutter in the reports folder
                self._log.unlink()
        except OSError:
            pass

    def __enter__(self) -> "ForkServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_line_within(stream: IO[bytes], timeout_s: float) -> dict[str, Any] | None:
    """The next JSON line of `stream` within `timeout_s`, or None (EOF, garbage or too late)."""
    ready, _, _ = select.select([stream], [], [], timeout_s)
    if not ready:
        return None
    line = stream.readline()
    try:
        return json.loads(line) if line else None
    except ValueError:
        return None


if __name__ == "__main__":
    main()
