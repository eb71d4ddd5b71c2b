"""How a failed call is told: the worker's error report, or the worker's end, as the typed
StudentFailure (errors.py) a check catches. Plain data in, exceptions out."""

from __future__ import annotations

import signal
from typing import Any

from .errors import (
    CallBlocked,
    ChannelViolation,
    StaleHandle,
    StudentException,
    StudentFailure,
    StudentImportError,
    StudentMemoryError,
    StudentTimeout,
    UnsupportedValue,
    WorkerDied,
)
from .ledger import CallLedger
from .process import WorkerGone

ERROR_KINDS = {"exception", "import", "missing", "memory", "unsendable", "stale", "exit", "usage",
               "blocked"}
_SIGNAL_WORDS = {signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort",
                 signal.SIGBUS: "a bus error", signal.SIGFPE: "a floating-point exception",
                 signal.SIGKILL: "SIGKILL", signal.SIGXCPU: "the CPU-time limit"}


def gone_failure(gone: WorkerGone, what: str, timeout: float, *, output: str, cpu_limit: float) -> StudentFailure:
    """The failure of a call whose worker timed out, died or broke the channel."""
    out = output
    if gone.reason == "timeout" and what.startswith("importing "):
        module = what.removeprefix("importing ")
        return StudentTimeout(
            f"{module} did not finish importing within {timeout:g} s: move slow top-level code "
            "(training, data loading, sleeps, input()) under `if __name__ == \"__main__\":`",
            output=out)
    if gone.reason == "timeout":
        return StudentTimeout(f"{what} did not return within {timeout:g} s: it hung (an endless "
                              "loop, or a wait such as input() or sleep()).", output=out)
    if gone.reason == "violation":
        return ChannelViolation(f"{what}: {gone.detail}", output=out)
    sig, code = gone.status.get("signal"), gone.status.get("code")
    cpu = gone.status.get("cpu_s")
    # SIGXCPU at the soft limit, SIGKILL at the hard one if SIGXCPU was ignored.
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and isinstance(cpu, (int, float))
                                 and cpu >= cpu_limit - 0.05):
        return StudentTimeout(
            f"{what} used up the worker's {cpu_limit} s of CPU time.", output=out)
    importing = "import-error" if what.startswith("importing ") else None
    if sig is not None:
        word = _SIGNAL_WORDS.get(sig, f"signal {sig}")
        return WorkerDied(f"the process running {what} was killed by {word}.",
                          signal=sig, diagnosis=importing, output=out)
    return WorkerDied(f"the process running {what} exited (status {code}): the code calls "
                      "os._exit or kills its own process.", exit_code=code, diagnosis=importing,
                      output=out)


def reported_failure(err: Any, what: str, *, output: str, ledger: CallLedger,
                     memory_mb: int) -> StudentFailure | ValueError | CallBlocked:
    """The failure the worker reported for a call (its "err"), as the typed exception to raise."""
    if (type(err) is not dict or err.get("kind") not in ERROR_KINDS
            or not all(type(err.get(k, "")) is str for k in ("message", "exc_type", "traceback",
                                                              "diagnosis"))):
        raise ChannelViolation("the worker sent a malformed error report")
    kind, out = err["kind"], output
    message, exc_type, tb = err.get("message", ""), err.get("exc_type", ""), err.get("traceback", "")
    # NumPy's broadcast error ends in a space ("shapes (64,784) (784,64) "): the full stop
    # added below must not stand apart from it.
    message = message.rstrip()
    frames = _frames(err.get("frames"))
    diagnosis = err.get("diagnosis", "")
    if kind == "usage":
        return ValueError(f"sandbox request {what} is malformed: {message}")
    if kind == "blocked" and ledger.blocked(message) is not None:
        return ledger.refuse(message, caller=what)
    if kind == "stale":
        return StaleHandle(f"{what}: {message}", output=out)
    if kind == "exit":
        return WorkerDied(f"{what}: {message}, which ends the process.", exit_code=None, output=out)
    if kind == "memory":
        return StudentMemoryError(f"{what} ran out of memory (limit {memory_mb} MiB).",
                                  output=out)
    if kind == "unsendable":
        return UnsupportedValue(f"{what} {message}.",
                                diagnosis=diagnosis if diagnosis in ("dtype", "tampering") else "tampering",
                                output=out)
    if kind == "missing":
        return StudentException(f"{message}.", exc_type=exc_type or "AttributeError",
                                diagnosis="missing-api", output=out)
    if kind == "import":
        diag = diagnosis if diagnosis in ("import-error", "forbidden-import", "missing-api") else "import-error"
        return StudentImportError(f"{message}.", exc_type=exc_type, traceback=tb, diagnosis=diag, output=out,
                                  frames=frames)
    if diagnosis == "forbidden-import":
        return StudentException(f"{what}: {message}.", exc_type=exc_type, traceback=tb,
                                diagnosis="forbidden-import", output=out, frames=frames)
    diag = "missing-api" if exc_type == "NotImplementedError" else "crash"
    text = f"{what} raised {exc_type}" + (f": {message}" if message else "") + "."
    return StudentException(text, exc_type=exc_type, traceback=tb, diagnosis=diag, output=out,
                            frames=frames)


#: The most frames an error report may carry (the worker sends at most 12).
_MAX_FRAMES = 32


def _frames(raw: Any) -> tuple[tuple[str, int, str, str], ...]:
    """The worker's frames ([file, line, function, text] lists), checked to be exactly that
    plain data; anything else is a malformed report."""
    if raw is None:
        return ()
    if type(raw) is not list or len(raw) > _MAX_FRAMES:
        raise ChannelViolation("the worker sent a malformed error report")
    frames = []
    for item in raw:
        if (type(item) is not list or len(item) != 4 or type(item[0]) is not str or type(item[1]) is not int
                or type(item[2]) is not str or type(item[3]) is not str):
            raise ChannelViolation("the worker sent a malformed error report")
        frames.append((item[0][:300], item[1], item[2][:100], item[3][:200]))
    return tuple(frames)
