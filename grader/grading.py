"""Grade one submission in its own process, into a `SubmissionRecord`; never raises for its failures.

The one place that knows how a grading process is started, limited, killed and
read back: `grader batch` runs `grade_one` on a local pool of threads, and
grader.distributed runs the same function on Dask workers. Each grading is a
``grader run ... --format json`` process in its own process group, under an
overall wall-clock timeout, so a submission that crashes the grader, hangs past
every inner limit, or eats all memory costs its own record (status and error,
score 0) and never another student's grade. A local batch forks these processes
from a warm server (grader.forkserver: imports, data and the shared reference
runs done once per batch); the process, its report and its record are the same.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grader.exitcodes import BAD_INPUT, GRADER_FAILURE
from grader.fingerprint import source_fingerprint
from grader.forkserver import ForkServer, ServerGone
from grader.records import (BAD_SUBMISSION, CRASHED, GRADER_ERROR, TIMEOUT, SubmissionRecord,
                            result_from_dict)
from grader.results import GradingResult
from grader.threads import one_blas_thread


class BatchError(Exception):
    """Bad batch input (exit 2): the message names the path and the fix."""


@dataclass(frozen=True)
class GradeOptions:
    """What every submission of a batch is graded with (plain values: they travel to Dask workers)."""

    rubric_file: Path
    timeout_s: float
    seed: int | None
    data: str | None
    modules: tuple[str, ...]
    # Fork each local grading from a warm server (grader.forkserver); False: a fresh process each.
    warm: bool = True


def safe_filename(name: str) -> str:
    """A submission's name as a file name stem (its reports, log and record are named by it)."""
    return "".join(c if c.isalnum() or c in "-_.#" else "_" for c in name) or "submission"


def report_file_name(name: str) -> str:
    """The file name of a submission's JSON report (Gradescope's results.json) in the reports folder."""
    return f"{safe_filename(name)}.json"



def grader_command() -> list[str]:
    """How to start `grader`: this interpreter, so a venv or an unactivated install just works."""
    return [sys.executable, "-m", "grader"]


def grading_env() -> dict[str, str]:
    """The environment of every grading process (a fresh one, or the fork server all are forked from)."""
    # PYTHONSAFEPATH (and the reports folder as cwd): a folder named "grader" next to the
    # class must not shadow the installed package in `python -m grader`.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONSAFEPATH": "1"}
    # One BLAS thread per grading process: N jobs x M BLAS threads oversubscribe the
    # CPUs (--jobs 2 ran 1.4x faster than --jobs 1 instead of ~2x), and the same
    # setting whatever --jobs keeps timing-based checks (too-slow) equally fair.
    one_blas_thread(env)
    return env


def start_fork_server(options: GradeOptions, where: Path) -> ForkServer | None:
    """A warm fork server for this batch's gradings, or None (then each grading starts afresh)."""
    data = options.data
    if data is not None and Path(data).exists():
        data = str(Path(data).resolve())
    try:
        return ForkServer(options.rubric_file.resolve(), options.seed, data, env=grading_env(),
                          log=where.resolve() / FORK_SERVER_LOG)
    except (ServerGone, OSError):
        return None


#: The fork server's own log (its stderr), in the reports folder.
FORK_SERVER_LOG = "fork-server.log"


def grade_one(name: str, path: Path, *, rubric_file: Path, reports_dir: Path, timeout_s: float,
              seed: int | None = None, data: str | None = None,
              modules: tuple[str, ...] = (), server: ForkServer | None = None) -> SubmissionRecord:
    """Grade one submission in its own `grader run` process; never raises for its failures.

    reports_dir: where the run writes ``<name>.json`` (its report) and ``<name>.log``.
    modules: the graded files, fingerprinted to find identical submissions.
    server: fork the process from this warm server (grader.forkserver); without one, or
    when it is gone, the process is a fresh ``python -m grader``. Same report either way.
    """
    stem = safe_filename(name)
    reports_dir = reports_dir.resolve()
    report = reports_dir / f"{stem}.json"
    summary = reports_dir / f"{stem}.summary.json"
    log = reports_dir / f"{stem}.log"
    for stale in (report, summary):
        stale.unlink(missing_ok=True)
    argv = ["run", str(path.resolve()), "--rubric", str(rubric_file.resolve()),
            "--format", "json", "--output", str(report), "--batch-summary", str(summary)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if data is not None:
        argv += ["--data", str(Path(data).resolve()) if Path(data).exists() else data]
    record = SubmissionRecord(submission=name, fingerprint=source_fingerprint(path, modules))
    started = time.monotonic()
    code: int | None
    try:
        if server is None:
            raise ServerGone("no fork server")
        code = server.run(argv, cwd=reports_dir, log=log, timeout_s=timeout_s)
    except ServerGone:
        started = time.monotonic()
        code = _run_fresh(argv, cwd=reports_dir, log=log, timeout_s=timeout_s)
    if code is None:
        record.seconds = round(time.monotonic() - started, 2)
        record.status, record.error = TIMEOUT, f"timeout: not graded within {timeout_s:g} s"
        return record
    record.seconds = round(time.monotonic() - started, 2)
    last_line = _last_line(log)
    if code in (0, 1, GRADER_FAILURE):
        try:
            record.result = result_from_dict(json.loads(summary.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if code != GRADER_FAILURE:  # exit 3 may die before writing it; its log line says why
                record.status, record.error = GRADER_ERROR, f"unreadable grading summary ({exc})"
                return record
        finally:
            summary.unlink(missing_ok=True)  # the record replaces it
    if code == BAD_INPUT:
        record.status, record.error = BAD_SUBMISSION, last_line.removeprefix("Error: ") or "bad input"
    elif code == GRADER_FAILURE:
        record.status = GRADER_ERROR
        record.error = grader_failure(record.result) or last_line.removeprefix("Error: ") or "the grader failed"
    elif code not in (0, 1):
        record.status = CRASHED
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        record.error = f"the grading process died ({how}); see {log}"
    return record


def _run_fresh(argv: list[str], *, cwd: Path, log: Path, timeout_s: float) -> int | None:
    """``python -m grader ARGV`` in a new process; its returncode, or None if killed at `timeout_s`."""
    with log.open("wb") as log_file:
        # Own session = own process group: a timeout kills the grader *and* its
        # sandbox workers, which a student may have told to ignore SIGTERM.
        proc = subprocess.Popen([*grader_command(), *argv], stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=grading_env(), cwd=cwd)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None
    if code not in (0, 1, BAD_INPUT, GRADER_FAILURE):
        # The grader died abruptly: its sandbox workers may have outlived it in its group.
        _kill_group(proc)
    return code


def grader_failure(result: GradingResult | None) -> str:
    """What broke in a run that exited 3: its grader error, or the checks that broke, each by
    its title (for reading) and its id (for the rubric or a bug report); "" if neither."""
    if result is None:
        return ""
    broken = [f"'{c.label}' ({c.name})" for c in result.checks if c.status == "error"]
    return result.grader_error or (
        f"the grader failed in {', '.join(broken)} (left out of the total)" if broken else "")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group we created for this grading process (and only that group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _last_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    errors = [ln for ln in lines if ln.startswith("Error:")]
    picked = errors[-1] if errors else next((ln for ln in reversed(lines) if ln), "")
    return picked[:500]
