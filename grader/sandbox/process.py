"""Grader side of one worker: spawning it, talking to it under deadlines, tearing it down.

Pipes (all created here; the grader's ends are close-on-exec and non-blocking):
  request   grader -> worker    frames (channel.py)
  response  worker -> grader    frames
  output    worker -> grader    the student's stdout and stderr, on one pipe so they interleave
  control   grader -> supervisor  any byte or EOF: kill the worker and everything it started
  status    supervisor -> grader  JSON lines: "started", then "exit" with the worker's status
Every wait is a poll() on these with a deadline, so nothing here blocks on a
pipe that a stray grandchild keeps open.

Beside it: staging.py (the worker's config, uid, copy of the submission, environment) and
capture.py (reading reply frames and the student's output); their names are re-exported here.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import channel, procs
from .capture import _STACK_END, STACK_HEADER, OutputCapture, _FrameReader, student_frames  # noqa: F401
from .errors import ChannelViolation, SandboxError
from .spawn import ForkedProcess, Zygote
from .staging import (MAX_PACKAGE_DEPTH, MAX_PACKAGE_FILES, MAX_SOURCE_BYTES,  # noqa: F401 (old names)
                      UID_LOCK_DIR, UID_RANGE, UidLease, WorkerConfig, _copy_packages, _copy_submission,
                      _env, dirs_to_hide, site_dirs)

SUPERVISOR = Path(__file__).with_name("supervisor.py")
F_SETPIPE_SZ = 1031
PIPE_SIZE = 1 << 20


class WorkerGone(Exception):
    """The worker ended (or was ended) before answering. `reason`: timeout | died | violation."""

    def __init__(self, reason: str, status: dict[str, Any], detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.detail = detail


class WorkerProcess:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | ForkedProcess | None = None
        self.forked = False  # the supervisor was forked by a zygote (spawn.py)
        self.tmp: Path | None = None
        self.hello: dict[str, Any] = {}
        self.status: dict[str, Any] = {}
        self.started: dict[str, Any] = {}
        self.status_buf = b""
        self.output = OutputCapture(config.limits.output_limit_bytes)
        self.fds: dict[str, int] = {}
        self.stack = ""  # where the worker was when its last call timed out (_dump_stack)
        # A plan's replies stream in while the worker runs on: the worker ends each call's
        # output with `marker` (see mark_output), and what was read past it is the next call's.
        self._marker: bytes | None = None
        self._marked = False      # the marker of this exchange has been read
        self._held = b""          # bytes that may be the start of the marker
        self._carry = b""         # read past the marker: the next exchange's output
        self.src_dir = ""  # the submission's copy, as paths in the worker's tracebacks name it

    # ------------------------------------------------------------ start

    def start(self) -> dict[str, Any]:
        """Start the worker and wait for its greeting (launch, then greet)."""
        self.launch()
        return self.greet()

    def launch(self, zygote: Zygote | None = None) -> None:
        """Stage the submission and start the supervisor; returns without waiting (the worker's
        own start-up, a Python with NumPy, runs meanwhile). `greet` waits for it. With a
        `zygote` (spawn.py), the supervisor is forked from it, NumPy already imported: the
        launch is a message, and a worker the zygote fails to fork does not greet."""
        cfg = self.config
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        src, home, tmpdir = self.tmp / "src", self.tmp / "home", self.tmp / "tmp"
        for d in (src, home, tmpdir):
            d.mkdir()
        _copy_submission(cfg.submission_dir, src)
        if cfg.packages:
            _copy_packages(cfg.submission_dir, src)
        self.src_dir = str(src.resolve())
        if cfg.uid is not None:
            for path in (self.tmp, src, home, tmpdir, *src.rglob("*")):
                os.chown(path, cfg.uid, cfg.uid)
        pipes = {name: os.pipe() for name in ("request", "response", "output", "control", "status")}
        for name in ("request", "response"):
            try:
                fcntl.fcntl(pipes[name][1], F_SETPIPE_SZ, PIPE_SIZE)
            except OSError:
                pass  # bigger pipes only save context switches
        # The supervisor's ends (by its config's names), and the grader's own.
        theirs = {"chan_r": pipes["request"][0], "chan_w": pipes["response"][1],
                  "control_r": pipes["control"][0], "status_w": pipes["status"][1]}
        ours = {"request": pipes["request"][1], "response": pipes["response"][0],
                "output": pipes["output"][0], "control": pipes["control"][1], "status": pipes["status"][0]}
        passed = {**theirs, **({"uid_lock_fd": cfg.uid_lock_fd} if cfg.uid_lock_fd is not None else {})}
        config = {
            **theirs,
            "src": self.src_dir, "tmp": str(self.tmp), "site_dirs": site_dirs(),
            "forbidden": list(cfg.forbidden), "uid": cfg.uid, "gid": cfg.uid,
            "memory_mb": cfg.limits.memory_mb, "cpu_time_s": cfg.limits.cpu_time_s,
            "file_bytes": cfg.limits.max_file_bytes, "nproc": cfg.limits.max_processes,
            "network_isolation": cfg.network_isolation, "hide": cfg.hide,
            "provided": list(cfg.provided), "handout_imports": list(cfg.handout_imports),
            "numpy_compat": list(cfg.numpy_compat), "preload": list(cfg.preload),
            "uid_lock_fd": cfg.uid_lock_fd,
        }
        out_w = pipes["output"][1]
        try:
            if zygote is not None:
                self.proc = zygote.spawn(config, _env(str(home), str(tmpdir)), str(self.tmp),
                                         {**passed, "output": out_w})
                self.forked = True
            else:
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-B", str(SUPERVISOR), json.dumps(config)],
                    stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=list(passed.values()),
                    env=_env(str(home), str(tmpdir)), cwd=str(self.tmp), start_new_session=True)
        except BaseException:  # no supervisor: nothing of this launch may stay behind
            for fd in ours.values():
                os.close(fd)
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
            raise
        finally:
            for fd in [*theirs.values(), out_w]:
                os.close(fd)
        self.fds = ours
        for fd in self.fds.values():
            os.set_blocking(fd, False)

    def greet(self) -> dict[str, Any]:
        """Wait for the launched worker's greeting; returns it (SandboxError: it did not start)."""
        cfg = self.config
        try:
            payload = self.exchange([], cfg.limits.start_timeout_s, cfg.limits.output_limit_bytes)
            message = channel.decode(payload)
        except (WorkerGone, ChannelViolation) as exc:
            out = self.output.text()
            self.stop()
            raise SandboxError(f"the sandbox worker did not start ({exc}): {out[-2000:]}") from None
        if type(message) is not dict or type(message.get("hello")) is not dict:
            self.stop()
            raise SandboxError("the sandbox worker sent no greeting")
        self.hello = message["hello"]
        self._read_status()
        return self.hello

    @property
    def supervisor_pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def worker_pid(self) -> int | None:
        pid = self.started.get("worker_pid")
        return pid if type(pid) is int else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and "event" not in self.status

    # ------------------------------------------------------------ one exchange

    def exchange(self, parts: list[bytes | memoryview], timeout_s: float, output_limit: int,
                 marker: bytes | None = None) -> bytearray:
        """Send one request frame (may be empty: just wait) and return the reply's payload.

        `marker`: the call's output ends with it (a plan's step, see mark_output); what
        follows it is kept for the next exchange. Raises WorkerGone on time-out (after
        killing the worker), on the worker's death, or on a malformed frame
        (ChannelViolation as detail).
        """
        fds = self.fds
        deadline = time.monotonic() + timeout_s
        self.output = OutputCapture(output_limit)
        carried, self._carry, self._held = self._carry, b"", b""
        self._marker, self._marked = marker, False
        if carried:
            self._feed(carried)
        pending = [memoryview(p).cast("B") for p in parts if len(p)]
        reader = _FrameReader(self.config.limits.max_message_bytes)
        if not pending:
            # A plan's later replies are often there already (the worker ran ahead): read
            # them without a poll. The call's output precedes its reply in the pipe.
            try:
                if reader.read(fds["response"]):
                    self._drain_output()
                    assert reader.payload is not None
                    return reader.payload
            except EOFError:
                pass  # the worker is gone: the poll below hears how
            except ChannelViolation as exc:
                self.stop()
                raise WorkerGone("violation", self.status, exc.message) from None
        if pending:
            # The worker has read the last request before it answered: the pipe has room.
            # Write at once, and poll for room only for what did not fit (a large frame).
            try:
                self._write_some(pending)
            except BrokenPipeError:
                pending.clear()  # the worker is going away: the status pipe will say how
        poller = select.poll()
        for name in ("response", "output", "status"):
            poller.register(fds[name], select.POLLIN)
        if pending:
            poller.register(fds["request"], select.POLLOUT)
        order = {fds["output"]: 0, fds["request"]: 1, fds["response"]: 2, fds["status"]: 3}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.end_marking()
                self._dump_stack()
                self.stop()
                raise WorkerGone("timeout", self.status)
            events = poller.poll(max(1, int(remaining * 1000) + 1))
            # Output first (it precedes the reply), the reply before the death notice.
            for fd, ev in sorted(events, key=lambda e: order[e[0]]):
                if fd == fds["output"]:
                    if not self._drain_output():
                        poller.unregister(fd)
                elif fd == fds["request"]:
                    if ev & (select.POLLERR | select.POLLHUP):
                        poller.unregister(fd)
                        continue  # the worker is going away: the status pipe will say how
                    try:
                        self._write_some(pending)
                    except BrokenPipeError:
                        pending.clear()
                    if not pending:
                        poller.unregister(fd)
                elif fd == fds["response"]:
                    try:
                        done = reader.read(fd)
                    except EOFError:
                        poller.unregister(fd)
                        continue
                    except ChannelViolation as exc:
                        self.stop()
                        raise WorkerGone("violation", self.status, exc.message) from None
                    if done:
                        self._drain_output()
                        assert reader.payload is not None
                        return reader.payload
                elif fd == fds["status"]:
                    self._read_status()
                    if "event" in self.status:
                        self._drain_output()
                        self.end_marking()
                        self.stop()
                        raise WorkerGone("died", self.status)

    def _dump_stack(self, wait_s: float = 3.0) -> None:
        """Ask a worker that timed out where it is; sets `stack` to faulthandler's text, or ''.

        The worker's SIGUSR1 handler writes its stack to the output pipe, a few bytes per
        write, from the innermost frame out to the supervisor's `<module>`: the dump is read
        until that last frame, so the student's frame is there however loaded the machine
        (the wait ends early once it is; `wait_s` bounds a worker that never answers). What
        is read meanwhile still counts as the student's output; the last 64 KiB are
        searched for the stack.
        """
        self.stack = ""
        pid, fd = self.worker_pid, self.fds.get("output")
        if pid is None or fd is None or "event" in self.status:
            return
        try:
            os.kill(pid, signal.SIGUSR1)
        except OSError:
            return
        tail = b""
        until = time.monotonic() + wait_s
        while (left := until - time.monotonic()) > 0:
            if not select.select([fd], [], [], left)[0]:
                break
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break
            if not data:
                break
            self.output.feed(data)
            tail = (tail + data)[-(1 << 16):]
            found = tail.rfind(STACK_HEADER.encode())
            if found >= 0 and _STACK_END.search(tail, found):
                self.stack = tail[found:].decode("utf-8", "replace")
                return
        found = tail.rfind(STACK_HEADER.encode())
        if found >= 0:  # cut short: the frames that did arrive still say where it was
            self.stack = tail[found:].decode("utf-8", "replace")

    def _write_some(self, pending: list[memoryview]) -> None:
        while pending:
            try:
                n = os.writev(self.fds["request"], pending[:64])
            except BlockingIOError:
                return
            while n:
                if n >= len(pending[0]):
                    n -= len(pending.pop(0))
                else:
                    pending[0] = pending[0][n:]
                    n = 0

    def _feed(self, data: bytes) -> None:
        """Output read from the pipe: this call's up to the marker, the next one's after it."""
        if self._marked:
            self._carry += data
            return
        if self._marker is None:
            self.output.feed(data)
            return
        buf = self._held + data
        at = buf.find(self._marker)
        if at >= 0:
            self.output.feed(buf[:at])
            self._carry, self._held, self._marked = buf[at + len(self._marker):], b"", True
            return
        keep = min(len(buf), len(self._marker) - 1)  # a marker cut in two by the reads
        self.output.feed(buf[:len(buf) - keep])
        self._held = buf[len(buf) - keep:]

    def end_marking(self) -> None:
        """No marker will come (the call failed to write it, or the worker is gone): what is
        held back is the call's output."""
        if self._held:
            self.output.feed(self._held)
        self._held, self._marker = b"", None

    def read_to_marker(self, timeout_s: float) -> None:
        """Read the output pipe until this exchange's marker (the worker wrote it before the
        reply, so it is there already unless a flood is still queued before it)."""
        fd = self.fds.get("output")
        deadline = time.monotonic() + timeout_s
        while self._marker is not None and not self._marked and fd is not None:
            if not self._drain_output():
                break  # EOF: the worker is gone
            if self._marked:
                return
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
        self.end_marking()

    def _drain_output(self) -> bool:
        """Read what the student printed so far; False at EOF."""
        fd = self.fds.get("output")
        if fd is None:
            return False
        for _ in range(64):  # bounded, so a flood cannot starve the reply
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self._feed(data)
        return True

    def _read_status(self) -> None:
        fd = self.fds.get("status")
        if fd is None:
            return
        while True:
            try:
                data = os.read(fd, 4096)
            except (BlockingIOError, OSError):
                break
            if not data:
                break
            self.status_buf += data
        *lines, self.status_buf = self.status_buf.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "started":
                self.started = event
            elif event.get("event") == "exit":
                self.status = event

    # ------------------------------------------------------------ teardown

    def stop(self, grace_s: float = 5.0) -> dict[str, Any]:
        """Have the supervisor kill the worker and all it started; wait for it; clean up."""
        proc, self.proc = self.proc, None
        if proc is None:
            return self.status
        control = self.fds.pop("control", None)
        if control is not None:
            try:
                os.write(control, b"k")
            except OSError:
                pass
            os.close(control)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            # Last resort: the supervisor itself hangs. Its orphans go to init,
            # so sweep its tree first, then every process of the sandbox uid.
            procs.kill_all(procs.descendants(proc.pid))
            proc.kill()
            proc.wait()
            if self.config.uid is not None:
                procs.sweep(proc.pid, self.config.uid, reap=False)
        self._read_status()
        self.status.setdefault("event", "exit")
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        return self.status
