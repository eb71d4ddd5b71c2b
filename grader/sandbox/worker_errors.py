"""What the worker tells of a failure: the student's exception (or the grader's malformed
request, a missing name, a blocked function) as a plain error report for the grader, with
the student's own frames and a trimmed traceback. Runs inside the worker (loaded by path,
like worker.py); `ErrorReports` is the part of the Worker that writes them."""

from __future__ import annotations

import traceback
from typing import Any, Callable

try:
    from . import guard
except ImportError:  # loaded by path inside the worker, outside the grader package
    import _sandbox_guard as guard  # type: ignore[no-redef]

MAX_MESSAGE = 200
MAX_TRACEBACK = 8000
#: At most this many of the student's frames travel with an error (the innermost ones).
MAX_FRAMES = 12

class _StaleRef(Exception):
    """A request named a handle id that is not (or no longer) in the table."""


class _Usage(Exception):
    """The grader asked for something malformed (a grader bug, not the student's)."""


class _Missing(Exception):
    """A class, function or attribute the grader asked for does not exist."""


class _Blocked(BaseException):
    """Raised by a blocked function's stand-in (a BaseException: student `except Exception` lets it by)."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


def _stand_in(label: str) -> Callable[..., Any]:
    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise _Blocked(label)
    return blocked


class _ImportFailed(Exception):
    """Importing a student module raised (anything, SystemExit included)."""

    def __init__(self, module: str, cause: BaseException) -> None:
        super().__init__(module)
        self.module = module
        self.cause = cause


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a student __str__ that raises
        text = "<unprintable>"
    return _short(text, MAX_MESSAGE)


def _file_of(module: str) -> str:
    """The file a student edits for `module`: layers.py, mytorch/nn/linear.py."""
    return module.replace(".", "/") + ".py"


def _is_prefix(name: Any, module: str) -> bool:
    """Whether the missing module `name` is `module` or one of its packages (mytorch.nn)."""
    return type(name) is str and (module == name or module.startswith(name + "."))



class ErrorReports:
    """The Worker's error reports; `src_dir` is the submission's folder (ends with a separator)."""

    src_dir: str
    exit_after_reply: bool

    def trimmed_traceback(self, exc: BaseException) -> str:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.startswith(self.src_dir)]
        lines = ["Traceback (most recent call last):\n"] if frames else []
        lines += traceback.format_list(frames)
        try:
            lines += traceback.format_exception_only(type(exc), exc)
        except BaseException:
            lines.append(f"{type(exc).__name__}: <unprintable>\n")
        text = "".join(lines).replace(self.src_dir, "")
        return _short(text, MAX_TRACEBACK)

    def student_frames(self, exc: BaseException) -> list[list[Any]]:
        """The submission's own frames of `exc`, outermost first, as plain data:
        [file relative to the submission, line number, function, the line's text]. Grader,
        sandbox and library frames are left out; a syntax error's own line is the last."""
        frames: list[list[Any]] = []
        try:
            for f in traceback.extract_tb(exc.__traceback__):
                if f.filename.startswith(self.src_dir):
                    frames.append([f.filename.replace(self.src_dir, "").lstrip("/"), int(f.lineno or 0),
                                   _short(str(f.name), 80), _short((f.line or "").strip(), 160)])
            if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(self.src_dir):
                frames.append([exc.filename.replace(self.src_dir, "").lstrip("/"), int(exc.lineno or 0),
                               "<module>", _short((exc.text or "").strip(), 160)])
        except BaseException:  # a student object that breaks traceback extraction: no frames
            return []
        return frames[-MAX_FRAMES:]

    def culprit_file(self, exc: BaseException) -> str:
        """The submission file where an import failed (the innermost frame there), or ''."""
        if isinstance(exc, SyntaxError) and exc.filename:
            return exc.filename.replace(self.src_dir, "")
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(self.src_dir)]
        return frames[-1].filename.replace(self.src_dir, "") if frames else ""

    def failure(self, exc: BaseException, forbidden: list[str]) -> dict[str, Any]:
        reply = self._failure(exc, forbidden)
        if reply.get("traceback"):
            # Where in the student's files it happened, for the reports (plain data, no pickles).
            reply["frames"] = self.student_frames(exc.cause if isinstance(exc, _ImportFailed) else exc)
        return reply

    def _failure(self, exc: BaseException, forbidden: list[str]) -> dict[str, Any]:
        if isinstance(exc, _ImportFailed):
            return self.import_failure(exc.module, exc.cause, forbidden)
        exc_type = type(exc).__name__
        message = _describe(exc)
        tb = self.trimmed_traceback(exc)
        if isinstance(exc, _Blocked):
            return {"kind": "blocked", "exc_type": "", "message": _short(exc.label, MAX_MESSAGE),
                    "traceback": ""}
        if isinstance(exc, _Missing):
            return {"kind": "missing", "exc_type": "AttributeError", "message": message, "traceback": ""}
        if isinstance(exc, _Usage):
            return {"kind": "usage", "exc_type": "ValueError", "message": message, "traceback": ""}
        if isinstance(exc, _StaleRef):
            return {"kind": "stale", "exc_type": "KeyError", "message": message, "traceback": ""}
        if isinstance(exc, SystemExit):
            self.exit_after_reply = True
            return {"kind": "exit", "exc_type": exc_type, "traceback": tb,
                    "message": f"the code called sys.exit({_short(repr(exc.code), 60)})"}
        if isinstance(exc, guard.ForbiddenImportError) or forbidden:
            name = forbidden[0] if forbidden else (exc.name or "?")  # type: ignore[attr-defined]
            return {"kind": "exception", "exc_type": exc_type, "diagnosis": "forbidden-import",
                    "traceback": tb,
                    "message": f"the code imports '{name}', which is not allowed in this assignment"}
        if isinstance(exc, MemoryError):
            return {"kind": "memory", "exc_type": exc_type, "traceback": tb,
                    "message": "ran out of memory (over the memory limit)"}
        return {"kind": "exception", "exc_type": exc_type, "message": message, "traceback": tb}

    def import_failure(self, module: str, exc: BaseException, forbidden: list[str]) -> dict[str, Any]:
        exc_type = type(exc).__name__
        tb = self.trimmed_traceback(exc)
        if isinstance(exc, guard.ForbiddenImportError) or forbidden:
            name = forbidden[0] if forbidden else (getattr(exc, "name", None) or "?")
            return {"kind": "import", "exc_type": exc_type, "diagnosis": "forbidden-import", "traceback": tb,
                    "message": f"{_file_of(module)} imports '{name}', which is not allowed in this assignment"}
        if isinstance(exc, SystemExit):
            what = f"calls sys.exit({_short(repr(exc.code), 60)}) when imported"
        elif isinstance(exc, ModuleNotFoundError) and _is_prefix(exc.name, module):
            return {"kind": "import", "exc_type": exc_type, "diagnosis": "missing-api", "traceback": "",
                    "message": f"the submission has no {_file_of(module)}"}
        elif isinstance(exc, SyntaxError):
            # Python's own reason and the offending line, as the student's editor would show.
            what = f"has a syntax error on line {exc.lineno}: {_short(exc.msg or 'invalid syntax', 120)}"
            if exc.text and exc.text.strip():
                what += f" (`{_short(exc.text.strip(), 80)}`)"
        elif isinstance(exc, ImportError) and "relative import" in str(exc) and "." not in module:
            # The files are graded as plain modules side by side, never as a package.
            what = (f"uses a relative import ({_describe(exc)}); import the other files by name, "
                    "e.g. `from layers import Linear`, not `from .layers import Linear`")
        else:
            # The worker's temporary folder in a message would make reports differ run to run.
            what = f"raised {exc_type} when imported: {_describe(exc).replace(self.src_dir, '')}"
            if isinstance(exc, ImportError) and "(unknown location)" in str(exc):
                what += " (a package folder without __init__.py exports nothing)"
        culprit = self.culprit_file(exc) if "." in module else ""
        if culprit and culprit != _file_of(module):
            # A package's other module (or its __init__.py) broke this import: name it.
            what = f"cannot be imported because {culprit} fails: {what}"
        return {"kind": "import", "exc_type": exc_type, "diagnosis": "import-error", "traceback": tb,
                "message": f"{_file_of(module)} {what}"}
