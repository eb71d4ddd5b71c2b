"""Grader side of the zygote (zygote.py): one warm process that forks the supervisors of a
run's sandboxes, so their workers share one Python start and one import of NumPy.

`Zygote` starts the zygote and asks it for supervisors without waiting (`spawn`): requests
queue on the socket while it imports, and a launch costs the grader a `sendmsg`. Each
answer is read when it is needed (`ForkedProcess.pid`). `ForkedProcess` is the supervisor
seen from the grader: not the grader's child (the zygote reaps it), so it is waited for
through a pidfd, as `subprocess.Popen` waits for its own. A zygote that cannot start, or
dies, fails only the launches it was asked for: the worker then does not greet, and
`Sandbox.start` starts that one again as `python supervisor.py` (process.py).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .staging import _env

ZYGOTE = Path(__file__).with_name("zygote.py")
#: How long a pid may take to be answered: the zygote answers once it has imported NumPy
#: (and the profile's libraries), then at once.
ANSWER_TIMEOUT_S = 30.0
#: How long `ForkedProcess.wait` waits, once the supervisor has exited, for the zygote to reap it.
REAP_WAIT_S = 0.5


class ZygoteGone(Exception):
    """The zygote did not answer a request (it failed to start, or died)."""


def available() -> bool:
    """Whether supervisors can be forked from a zygote here: a supervisor that is not the
    grader's child is waited for through a pidfd (Linux 5.3 on)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


class Zygote:
    """One zygote process for the sandboxes of one run, started by the process that grades.
    `site_dirs`, `preload`, `forbidden`: as the workers' configs give them (the zygote
    imports what they would import before any student code)."""

    def __init__(self, *, site_dirs: list[str], preload: list[str], forbidden: list[str]) -> None:
        self.owner = os.getpid()
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-zygote-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock: socket.socket | None = ours
        self._asked: list[ForkedProcess] = []  # requests not yet answered, in order
        config = {"socket": theirs.fileno(), "site_dirs": site_dirs, "preload": preload,
                  "forbidden": forbidden, "tmp": str(self.tmp)}
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(ZYGOTE), json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=[theirs.fileno()], env=_env(str(self.tmp), str(self.tmp)), cwd=str(self.tmp),
                start_new_session=True)
        except OSError:
            self.proc = None
            ours.close()
            self.sock = None
        finally:
            theirs.close()

    @property
    def usable(self) -> bool:
        return self.sock is not None and self.owner == os.getpid()

    def spawn(self, config: dict[str, Any], env: dict[str, str], cwd: str,
              fds: dict[str, int]) -> "ForkedProcess":
        """Ask for a supervisor with `config` (its descriptors' numbers are set from `fds`,
        which the caller keeps and closes as it closes what it passes to a Popen); returns at
        once. ZygoteGone: the request could not be sent."""
        if not self.usable:
            raise ZygoteGone("no zygote")
        assert self.sock is not None
        request = {"config": config, "env": env, "cwd": cwd, "fds": list(fds)}
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds.values()))
        except OSError as exc:
            raise ZygoteGone(str(exc)) from None
        forked = ForkedProcess(self)
        self._asked.append(forked)
        return forked

    def _answer(self, forked: "ForkedProcess", timeout_s: float) -> None:
        """Read answers, in order, until `forked` has its own (pid, or None when it was not
        forked), or `timeout_s` passes. Only the process that started the zygote reads them."""
        deadline = time.monotonic() + timeout_s
        while forked in self._asked:
            sock = self.sock
            if sock is None or self.owner != os.getpid():
                return self._give_up()
            if not select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return None  # not answered yet
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:  # the zygote is gone: it forked none of the rest
                return self._give_up()
            try:
                reply = json.loads(data)
            except ValueError:
                reply = None
            pid = reply.get("pid") if type(reply) is dict else None
            self._asked.pop(0)._set_pid(pid if type(pid) is int and pid > 0 else None)
        return None

    def _give_up(self) -> None:
        for waiting in self._asked:
            waiting._set_pid(None)
        self._asked.clear()

    def settle(self, timeout_s: float = ANSWER_TIMEOUT_S) -> None:
        """Every request answered and no more to come (call it before the run forks its second
        session: only this process reads the answers)."""
        if self._asked:
            self._answer(self._asked[-1], timeout_s)
        self.close()

    def close(self) -> None:
        """No more requests: the zygote exits once its last supervisor is gone (`reap`)."""
        if self.sock is not None and self.owner == os.getpid():
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def reap(self, timeout_s: float = 2.0) -> None:
        """After the run's sandboxes are closed: wait for the zygote (kill it if it lingers)."""
        if self.owner != os.getpid():
            return
        self._give_up()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class ForkedProcess:
    """A supervisor the zygote forked, with what WorkerProcess uses of a Popen: `pid`,
    `wait(timeout)` (TimeoutExpired) and `kill()`. Waited for through a pidfd: it is the
    zygote's child, and may be gone and reaped by the time it is looked at."""

    def __init__(self, zygote: Zygote) -> None:
        self._zygote = zygote
        self._pid: int | None = None
        self._answered = False
        self._pidfd: int | None = None
        self.returncode: int | None = None

    def _set_pid(self, pid: int | None) -> None:
        self._pid, self._answered = pid, True
        if pid is not None:
            try:
                self._pidfd = os.pidfd_open(pid)
            except OSError:  # gone already (and reaped): nothing left to wait for
                self._pidfd = None

    def answered(self, timeout_s: float = ANSWER_TIMEOUT_S) -> bool:
        """Whether the zygote forked it (waiting up to `timeout_s` for its answer)."""
        if not self._answered:
            self._zygote._answer(self, timeout_s)
        return self._pid is not None

    @property
    def pid(self) -> int:
        """Its pid; -1 when the zygote did not fork it (then `wait` returns at once, so the
        last-resort kill of a supervisor that outlives its grace never looks for it)."""
        self.answered()
        return self._pid if self._pid is not None else -1

    def wait(self, timeout: float | None = None) -> int:
        """Wait until it has exited (TimeoutExpired after `timeout` seconds)."""
        if self.returncode is not None:
            return self.returncode
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.answered(ANSWER_TIMEOUT_S if timeout is None else timeout):
            self.returncode = 0  # never forked (or gone unseen): nothing to wait for
            return self.returncode
        fd = self._pidfd
        if fd is not None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                raise subprocess.TimeoutExpired("supervisor", timeout or 0.0)
            # Exited; reaped by the zygote a moment later (then signal 0 finds no process).
            until = time.monotonic() + REAP_WAIT_S
            while time.monotonic() < until:
                try:
                    signal.pidfd_send_signal(fd, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    break
                time.sleep(0.001)
            os.close(fd)
            self._pidfd = None
        self.returncode = 0  # its worker's status comes on the status pipe, not from here
        return self.returncode

    def kill(self) -> None:
        fd = self._pidfd
        if fd is not None:
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
