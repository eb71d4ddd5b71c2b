"""Isolated execution of student code: the grader never runs it in its own process.

    from grader.sandbox import Sandbox, Limits, Rng
    with Sandbox(submission_dir, limits=Limits(call_timeout_s=10)) as sb:
        lin = sb.new("layers", "Linear", 3, 5, rng=Rng(0))
        y = lin.call("forward", x)

See client.py for the API, process.py and supervisor.py for the protections,
channel.py for what may cross the process boundary.
"""

from .channel import Handle, Rng
from .client import DEFAULT_FORBIDDEN, RemoteObject, Sandbox
from .errors import (
    ChannelViolation,
    SandboxError,
    StaleHandle,
    StudentException,
    StudentFailure,
    StudentImportError,
    StudentMemoryError,
    StudentTimeout,
    UnsupportedValue,
    WorkerDied,
)
from .limits import Limits

__all__ = [
    "Sandbox", "Limits", "RemoteObject", "Rng", "Handle", "DEFAULT_FORBIDDEN",
    "StudentFailure", "StudentException", "StudentImportError", "StudentTimeout",
    "StudentMemoryError", "WorkerDied", "ChannelViolation", "UnsupportedValue", "StaleHandle",
    "SandboxError",
]
