"""The typed failures a sandboxed call can end in.

Every failure caused by the student's code is a `StudentFailure` carrying a
diagnosis id from docs/diagnoses.md, one human sentence and the student's
captured output, so a check can turn it into a report entry without knowing
how the worker failed. `SandboxError` is the one exception that means the
*grader* is broken (the worker could not even start) and is deliberately not
a `StudentFailure`.

This module is stdlib-only: the worker loads it by path, outside the grader
package.
"""

from __future__ import annotations


class StudentFailure(Exception):
    """A failure attributable to the submission."""

    default_diagnosis = "crash"

    def __init__(self, message: str, *, diagnosis: str | None = None, output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.diagnosis = diagnosis or self.default_diagnosis
        self.output = output

    def __str__(self) -> str:
        return f"[{self.diagnosis}] {self.message}"


#: One of the student's own frames: (file relative to the submission, line, function, line's text).
Frame = tuple[str, int, str, str]


class StudentException(StudentFailure):
    """The student's code raised; `exc_type` is the exception class name; `frames` the
    submission's own frames of the traceback, outermost first (the last is where it raised)."""

    def __init__(
        self,
        message: str,
        *,
        exc_type: str,
        traceback: str = "",
        diagnosis: str | None = None,
        output: str = "",
        frames: tuple[Frame, ...] = (),
    ) -> None:
        super().__init__(message, diagnosis=diagnosis, output=output)
        self.exc_type = exc_type
        self.traceback = traceback
        self.frames = tuple(frames)


class StudentImportError(StudentException):
    """A student module failed to import (diagnosis import-error or forbidden-import)."""

    default_diagnosis = "import-error"


class StudentTimeout(StudentFailure):
    default_diagnosis = "timeout"


class StudentMemoryError(StudentFailure):
    default_diagnosis = "memory-limit"


class WorkerDied(StudentFailure):
    """The worker process ended during a call (os._exit, sys.exit, a signal, a segfault)."""

    default_diagnosis = "crash"

    def __init__(self, message: str, *, exit_code: int | None = None, signal: int | None = None,
                 diagnosis: str | None = None, output: str = "") -> None:
        super().__init__(message, diagnosis=diagnosis, output=output)
        self.exit_code = exit_code
        self.signal = signal


class ChannelViolation(StudentFailure):
    """The worker sent something that is not a well-formed message of plain data."""

    default_diagnosis = "tampering"


class UnsupportedValue(StudentFailure):
    """The student returned a value that cannot cross the channel.

    diagnosis `dtype` for arrays of a non-whitelisted dtype (complex, float128,
    object, strings), `tampering` for ndarray subclasses, objects posing as
    arrays (`__array__`) and subclasses of builtin scalars.
    """

    default_diagnosis = "tampering"


class StaleHandle(StudentFailure):
    """A RemoteObject from a worker that has since been replaced (after a crash or time-out)."""

    default_diagnosis = "crash"


class SandboxError(RuntimeError):
    """The grader's own sandbox machinery failed (not the student's fault)."""


class StudentTooSlow(StudentFailure):
    """A function finished every call, but its calls used up their time budget (`too-slow`)."""

    default_diagnosis = "too-slow"


class CallBlocked(BaseException):
    """A call the grader refused to make, because its function already hung, crashed or ran
    out of time earlier in the run (`failure` says how and where).

    A BaseException, not an Exception, on purpose: Hypothesis and the checks'
    `except Exception` clauses let it through, so a check that needs a hung
    function ends at once instead of shrinking an example call by call.
    """

    def __init__(self, failure: StudentFailure, *, first: StudentFailure | None = None,
                 where: str = "") -> None:
        """`failure`: what this call reports; `first`: the failure that blocked the function,
        in the check `where` (so that check can report the failure itself)."""
        super().__init__(failure.message)
        self.failure = failure
        self.message = failure.message
        self.diagnosis = failure.diagnosis
        self.output = failure.output
        self.first = first or failure
        self.where = where


class RunDeadlineReached(BaseException):
    """The run's deadline (limits.run_timeout_s) passed: no more student code runs.

    A BaseException for the same reason as CallBlocked: nothing in a check may
    catch it and carry on.
    """

    def __init__(self, message: str, *, running: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.running = running
