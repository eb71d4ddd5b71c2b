"""Grade a batch on a Dask cluster (``grader batch --scheduler ADDRESS``; extra ``nn-grader[dask]``).

Each submission becomes one Dask task. The task carries the submission's
files and the rubric's text (workers need no shared file system), and runs on
the worker exactly what ``grader batch`` runs locally: `grade_one`, a fresh
sandboxed ``grader run`` process with its own time-out. It returns the
submission's record, with its JSON report and log as text, and the batch
writes them into the reports folder like local results.

A worker lost mid-grading is Dask's business: the scheduler re-runs that
worker's tasks elsewhere (up to its ``allowed-failures``), and ``retries``
covers a task that raised; a task that still fails becomes a "crashed" record,
so the gradebook never misses a row. Grading needs no data from the
client except what the task carries; ``--data PATH`` must name a path that
exists on every worker (or be omitted: the embedded subset ships with grader).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.grading import BatchError, GradeOptions, grade_one, safe_filename
from grader.records import CRASHED, SubmissionRecord

if TYPE_CHECKING:
    from dask.distributed import Client

CONNECT_TIMEOUT_S = 20
RETRIES = 2  # extra attempts of a task that raised (a lost worker is re-run by the scheduler itself)
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
_SKIPPED_PARTS = ("__pycache__", ".git")


class ClusterError(BatchError):
    """The cluster cannot be used; the message names the fix. (Exit 2 from the CLI.)"""


def pack_submission(folder: Path) -> dict[str, bytes]:
    """The files of a submission folder: relative POSIX path -> bytes (caches and VCS data left out)."""
    files: dict[str, bytes] = {}
    total = 0
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if not path.is_file() or any(part in _SKIPPED_PARTS for part in rel.parts):
                continue
            data = path.read_bytes()
            total += len(data)
            if total > MAX_SUBMISSION_BYTES:
                raise ClusterError(f"{folder} holds more than {MAX_SUBMISSION_BYTES >> 20} MB; remove data "
                                   "files from the submission, or grade it without --scheduler")
            files[rel.as_posix()] = data
    return files


def _unpack(files: dict[str, bytes], folder: Path) -> None:
    folder.mkdir(parents=True)
    for rel, data in files.items():
        target = (folder / rel).resolve()
        if not target.is_relative_to(folder.resolve()):  # a crafted "../x" must stay inside
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


#: A task's folder on a worker is TASK_FOLDER + "<the worker's pid>-<random>".
TASK_FOLDER = "grader-dask-"


def sweep_orphaned_task_folders(parent: Path) -> int:
    """Remove the task folders in `parent` whose worker process is gone; returns how many.

    A worker killed mid-task (lost, or stopped at a cluster's shutdown) never runs its task's
    cleanup, and the folder holds a student's submission and report: the next task on the
    machine removes it. Only folders of this user whose worker is surely dead: a pid that
    still runs (even reused by another process) keeps its folder."""
    removed = 0
    for folder in parent.glob(f"{TASK_FOLDER}*"):
        pid, named, _ = folder.name[len(TASK_FOLDER):].partition("-")
        try:
            if not (named and pid.isdigit()) or folder.stat().st_uid != os.getuid() or _running(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def grade_packed(name: str, files: dict[str, bytes], rubric_text: str, options: GradeOptions) -> SubmissionRecord:
    """Runs on a Dask worker: unpack, grade with `grade_one`, return the record with its report files."""
    sweep_orphaned_task_folders(Path(tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix=f"{TASK_FOLDER}{os.getpid()}-") as tmp:
        root = Path(tmp)
        submission = root / "submissions" / safe_filename(name)
        _unpack(files, submission)
        rubric_file = root / "rubric.toml"
        rubric_file.write_text(rubric_text, encoding="utf-8")
        work = root / "reports"
        work.mkdir()
        record = grade_one(name, submission, rubric_file=rubric_file, reports_dir=work,
                           timeout_s=options.timeout_s, seed=options.seed, data=options.data,
                           modules=options.modules)
        stem = safe_filename(name)
        # The worker's temp folder is gone once we return; the batch saves the log beside the record.
        record.error = record.error.replace(f"{work.resolve()}/", "")
        record.files = {p.name: p.read_text(encoding="utf-8", errors="replace")
                        for p in (work / f"{stem}.json", work / f"{stem}.log") if p.is_file()}
        return record


def connect(address: str) -> "Client":
    """A dask.distributed Client for ``address``; ClusterError with the fix if that cannot be."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ClusterError("--scheduler needs dask.distributed, an optional extra: "
                           "pip install 'nn-grader[dask]' (or drop --scheduler to grade on this machine)") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc}); "
                           "start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
                           "or drop --scheduler to grade on this machine") from None


def grade_on_cluster(address: str, submissions: list[tuple[str, Path]],
                     options: GradeOptions) -> Iterator[tuple[str, SubmissionRecord]]:
    """Submit one task per submission to the cluster at ``address``; yield (name, record) as they finish."""
    from dask.distributed import as_completed

    client = connect(address)
    if options.data is not None and Path(options.data).exists():  # workers resolve it: send an absolute path
        options = replace(options, data=str(Path(options.data).resolve()))
    rubric_text = options.rubric_file.read_text(encoding="utf-8")
    batch_id = uuid.uuid4().hex[:8]
    try:
        futures = {}
        for i, (name, path) in enumerate(submissions):
            future = client.submit(grade_packed, name, pack_submission(path), rubric_text, options,
                                   key=f"grade-{batch_id}-{i}", retries=RETRIES, pure=False)
            futures[future] = name
        for future in as_completed(futures):
            name = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a task error after retries: still one row
                record = SubmissionRecord(submission=name, status=CRASHED,
                                          error=f"the Dask task failed: {type(exc).__name__}: {exc}")
            yield name, record
    finally:
        client.close()
