"""The sandbox supervisor: a small trusted process between the grader and the worker.

Run as `python -I -S -B supervisor.py CONFIG_JSON` by process.py (stdlib
only until it forks, so it starts in a few ms), or forked by the zygote
(zygote.py: `supervise(config)`, the worker's modules and NumPy loaded). It

* becomes a child subreaper, so every process the student starts, even one
  that double-forks and calls setsid, stays its descendant;
* forks the worker, which hardens itself (own session, rlimits, network and
  mount namespaces, uid drop) before loading NumPy and the student's code;
* waits until the worker exits or the grader says stop (a byte or EOF on the
  control pipe, so a dying grader also stops it), then SIGKILLs every
  descendant (and every process of the sandbox uid) and reports the worker's
  exit status as one JSON line on the status pipe.

The grader never SIGKILLs the supervisor first: that would orphan the
student's processes to init.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import signal
import sys
import time
import traceback
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name: str, private_name: str) -> ModuleType:
    """Import a sibling module by path under a private name (the grader package stays
    unimported); one loaded already (in the zygote, zygote.py) is used as it is."""
    if private_name in sys.modules:
        return sys.modules[private_name]
    spec = importlib.util.spec_from_file_location(private_name, os.path.join(HERE, name + ".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[private_name] = module
    spec.loader.exec_module(module)
    return module


hardening = load("hardening", "_sandbox_hardening")
procs = load("procs", "_sandbox_procs")


def write_status(fd: int, event: dict[str, Any]) -> None:
    try:
        os.write(fd, (json.dumps(event) + "\n").encode())
    except OSError:
        pass


def child_main(cfg: dict[str, Any]) -> None:
    """In the forked worker: harden, then serve the grader. Never returns."""
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        for fd in (cfg["control_r"], cfg["status_w"], cfg["wake_r"], cfg["wake_w"]):
            os.close(fd)
        if cfg.get("uid_lock_fd") is not None:  # the supervisor's to hold, never the student's to unlock
            os.close(cfg["uid_lock_fd"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        # The grader's channel ends must not leak into programs the student execs.
        for fd in (cfg["chan_r"], cfg["chan_w"]):
            os.set_inheritable(fd, False)
        for path in cfg["site_dirs"]:
            if path not in sys.path:
                sys.path.append(path)
        # Loaded (NumPy with them) before harden() may hide the grader's directory.
        worker = load_worker_modules()
        hello = {"pid": os.getpid(), "protections": harden(cfg)}
        worker.run(cfg["chan_r"], cfg["chan_w"], cfg["src"], cfg["forbidden"], hello,
                   provided=cfg.get("provided", []), handout_imports=cfg.get("handout_imports", []),
                   numpy_compat=cfg.get("numpy_compat", []), preload=cfg.get("preload", []))
        code = 0
    except BaseException:
        try:
            sys.stderr.write("sandbox worker failed to start:\n" + traceback.format_exc())
            sys.stderr.flush()
        except BaseException:
            pass
        code = 70
    os._exit(code)


def load_worker_modules() -> ModuleType:
    """The worker's modules (NumPy with them), each under its private name; returns worker.py's."""
    for name in ("errors", "channel", "guard", "compat", "spy", "watch", "worker_errors", "worker_ops"):
        load(name, f"_sandbox_{name}")
    return load("worker", "_sandbox_worker")


def harden(cfg: dict[str, Any]) -> dict[str, str]:
    """Apply every protection available here; describe each (its absence included)."""
    active: dict[str, str] = {}
    is_root = os.geteuid() == 0
    uid, gid = cfg["uid"], cfg["gid"]
    drop = uid is not None and is_root
    active["session"] = "own session and process group"

    if cfg["network_isolation"]:
        if is_root:
            err = hardening.unshare(hardening.CLONE_NEWNET)
            where = "new network namespace"
        else:
            err = hardening.unshare_network_unprivileged()
            where = "new user and network namespaces"
        active["network"] = f"no network ({where})" if not err else f"off ({err})"

    if drop:
        err = hardening.private_mounts()
        if err:
            active["mounts"] = f"off ({err})"
        else:
            needed = [p for p in sys.path if p and os.path.isdir(p)] + [cfg["src"]]
            unreachable = hardening.expose_paths(needed, uid, gid, os.path.join(cfg["tmp"], "stage"))
            hidden = hardening.hide_paths(cfg["hide"])
            active["mounts"] = "private mount namespace" + (
                f", hid {', '.join(hidden)}" if hidden else "")
            if unreachable:
                drop = False
                active["uid"] = f"off (uid {uid} cannot read {unreachable[0]})"

    active["rlimits"] = ", ".join(hardening.set_rlimits(
        cfg["memory_mb"], cfg["cpu_time_s"], cfg["file_bytes"], cfg["nproc"] if drop else None))

    if drop:
        err = hardening.drop_privileges(uid, gid)
        active["uid"] = f"runs as uid {uid}, gid {gid}, no groups" if not err else f"off ({err})"
    elif "uid" not in active:
        active["uid"] = "off (grader not root)" if not is_root else "off (disabled)"
    err = hardening.prctl(hardening.PR_SET_NO_NEW_PRIVS, 1)
    active["no_new_privs"] = "on" if not err else f"off ({err})"
    # After the uid change, which clears it: die with the supervisor.
    hardening.prctl(hardening.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != cfg["supervisor_pid"]:
        os._exit(71)
    os.chdir(cfg["src"])
    return active


def main() -> None:
    supervise(json.loads(sys.argv[1]))


def supervise(cfg: dict[str, Any]) -> None:
    """Fork the worker, wait for it or for the grader's word, sweep, report. Never returns."""
    status_w, control_r = cfg["status_w"], cfg["control_r"]
    me = os.getpid()
    cfg["supervisor_pid"] = me
    subreaper_err = hardening.set_subreaper()

    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    cfg["wake_r"], cfg["wake_w"] = wake_r, wake_w
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    worker_pid = os.fork()
    if worker_pid == 0:
        child_main(cfg)
    for fd in (cfg["chan_r"], cfg["chan_w"]):
        os.close(fd)
    write_status(status_w, {"event": "started", "worker_pid": worker_pid,
                            "subreaper": subreaper_err or "on"})

    poller = select.poll()
    poller.register(control_r, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    worker_status: int | None = None
    worker_cpu = 0.0
    stopped_by_grader = False
    while worker_status is None and not stopped_by_grader:
        try:
            events = poller.poll(1000)
        except InterruptedError:
            events = []
        for fd, _ in events:
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
            elif fd == control_r:
                stopped_by_grader = True  # any byte, or EOF
        for pid, status, cpu in procs.reap_children():
            if pid == worker_pid:
                worker_status, worker_cpu = status, cpu

    started = time.monotonic()
    if worker_status is None:
        try:
            os.killpg(worker_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.kill(worker_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed = procs.sweep(me, cfg["uid"] if cfg["uid"] is not None and os.geteuid() == 0 else None)
    if worker_status is None:
        try:
            _, worker_status, usage = os.wait4(worker_pid, 0)
            worker_cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            worker_status = None
    event: dict[str, Any] = {"event": "exit", "stopped_by_grader": stopped_by_grader,
                             "swept": killed, "sweep_s": round(time.monotonic() - started, 4),
                             "cpu_s": round(worker_cpu, 3)}
    if worker_status is not None:
        if os.WIFSIGNALED(worker_status):
            event["signal"] = os.WTERMSIG(worker_status)
        elif os.WIFEXITED(worker_status):
            event["code"] = os.WEXITSTATUS(worker_status)
    # The grader removes it too; doing it here covers a grader that was SIGKILLed.
    import shutil

    shutil.rmtree(cfg["tmp"], ignore_errors=True)
    write_status(status_w, event)
    os._exit(0)


if __name__ == "__main__":
    main()
