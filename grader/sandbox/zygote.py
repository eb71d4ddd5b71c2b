"""The zygote: one process, NumPy imported, that forks the supervisor of each of a run's sandboxes.

A run grades in two check sessions, each with its own worker, and both workers start while
the grader imports pytest and collects the checks, on the same two cores. Started one by one,
each worker is a new Python importing NumPy (~0.1 s of CPU; MyTorch's SciPy ~0.1 s more),
and that CPU is taken from the grader's own start-up. Here it is spent once: the zygote
imports what every worker imports before any student code (the worker's own modules with
NumPy, the profile's preloaded libraries), then forks one supervisor per request, which
goes on exactly as `python -I -S -B supervisor.py CONFIG` would (supervisor.supervise).

Run as `python -I -S -B zygote.py CONFIG_JSON` by spawn.py, with a worker's scrubbed
environment. CONFIG: {"socket": fd, "site_dirs": [...], "preload": [...], "forbidden": [...],
"tmp": its own directory (HOME, TMPDIR and cwd), removed as it exits}.
On the socket (a SOCK_SEQPACKET pair) each request is one JSON message,
{"config": the supervisor's CONFIG, "env": {...}, "cwd": path, "fds": [name, ...]}, with the
file descriptors named in "fds" attached (SCM_RIGHTS); each is answered {"pid": n} (or
{"error": text}) in the order of the requests. The child of a request: its own session,
stdin /dev/null, stdout and stderr the "output" descriptor, the environment and directory
given, every other descriptor closed, then the supervisor with the received descriptors'
numbers in its config. The zygote reaps its children; it exits once the socket is closed
and its last child is gone. It runs no student code, and nothing flows back from a child.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import socket
import sys
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
#: At most this many descriptors per request (a supervisor takes five or six).
MAX_FDS = 8
MAX_REQUEST_BYTES = 1 << 20


def load_supervisor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_sandbox_supervisor", os.path.join(HERE, "supervisor.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_sandbox_supervisor"] = module
    spec.loader.exec_module(module)
    return module


def become_supervisor(supervisor: ModuleType, request: dict[str, Any], fds: dict[str, int]) -> None:
    """In the forked child: set up as the supervisor's own process would be, then supervise."""
    code = 70
    try:
        os.setsid()
        keep = set(fds.values())
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2 and fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass  # the directory listing's own descriptor
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        output = fds.pop("output")
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        if "tempfile" in sys.modules:  # its directory is the sandbox's TMPDIR, not the zygote's
            sys.modules["tempfile"].tempdir = None
        os.chdir(str(request["cwd"]))
        config = dict(request["config"])
        config.update(fds)
        supervisor.supervise(config)  # never returns
    except BaseException:  # noqa: BLE001
        try:
            import traceback

            sys.stderr.write("sandbox supervisor failed to start:\n" + traceback.format_exc())
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code)


def serve(sock: socket.socket, supervisor: ModuleType) -> None:
    """Fork a supervisor per request until the socket is closed, reaping the children that
    have exited meanwhile; then wait for the last of them."""
    while True:
        reap(os.WNOHANG)
        if not select.select([sock], [], [], 0.1)[0]:
            continue
        try:
            data, received, _, _ = socket.recv_fds(sock, MAX_REQUEST_BYTES, MAX_FDS)
        except OSError:
            data, received = b"", []
        if not data:  # closed: no more requests
            for fd in received:
                os.close(fd)
            break
        fork_one(sock, supervisor, data, received)
    reap(0)


def reap(flags: int) -> None:
    """Reap the children that have exited (`os.WNOHANG`), or every child, waiting (0)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, flags)
        except ChildProcessError:
            return
        if pid == 0:
            return


def fork_one(sock: socket.socket, supervisor: ModuleType, data: bytes, received: list[int]) -> None:
    """Fork the supervisor one request asks for; answer its pid (or why not)."""
    try:
        request = json.loads(data)
        names = request["fds"]
        if type(names) is not list or len(names) != len(received) or "output" not in names:
            raise ValueError("the request's descriptors do not match its names")
        fds = dict(zip((str(name) for name in names), received))
        pid = os.fork()
        if pid == 0:
            sock.close()
            become_supervisor(supervisor, request, fds)
        reply: dict[str, Any] = {"pid": pid}
    except Exception as exc:  # noqa: BLE001  (the grader starts that supervisor itself)
        reply = {"error": f"{type(exc).__name__}: {exc}"}
    for fd in received:
        os.close(fd)
    try:
        sock.send(json.dumps(reply).encode())
    except OSError:
        pass


def main() -> None:
    cfg = json.loads(sys.argv[1])
    sock = socket.socket(fileno=cfg["socket"])
    for path in cfg["site_dirs"]:
        if path not in sys.path:
            sys.path.append(path)
    supervisor = load_supervisor()
    worker = supervisor.load_worker_modules()
    worker.preload_libraries(list(cfg.get("preload", [])), list(cfg.get("forbidden", [])))
    serve(sock, supervisor)
    if cfg.get("tmp"):  # the grader removes it too; this covers a grader that ended first
        import shutil

        shutil.rmtree(str(cfg["tmp"]), ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    main()
