"""Grade a whole class in parallel into one gradebook CSV and a class report.

Each submission is graded by `grader.grading.grade_one` (its own process, its
own time-out: a crash or hang costs one row, never another student's grade).
Threads only wait on those processes, so ``--jobs N`` gives N-way parallelism
without the GIL mattering; with ``scheduler`` the same `grade_one` runs on Dask
workers (grader.distributed).

Each grading ends in a `SubmissionRecord` (grader.records), saved as
``<name>.record.json``; the gradebook rows and the class report
(grader.reports.classreport) are both computed from these records.

The gradebook has one row per submission, in a deterministic order (the DIR
arguments in the order given; sub-folders sorted by name)::

    submission,score,max_score,percent,score:api,...,score:training,diagnoses,status,error,seconds
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from grader.grading import (BatchError, GradeOptions, grade_one, report_file_name, safe_filename,
                            start_fork_server)
from grader.records import CRASHED, GRADED, GRADER_ERROR, SubmissionRecord, record_path, write_record
from grader.rubric import Rubric
from grader.vocabulary import TAGS

__all__ = ["BatchError", "BatchRow", "BatchSummary", "discover", "run_batch", "write_gradebook"]


@dataclass
class BatchRow:
    """One gradebook row; built from the submission's record (`from_record`), never by hand."""

    submission: str
    path: Path
    status: str = GRADED
    score: float = 0.0
    max_score: float = 0.0
    percent: float = 0.0
    by_tag: dict[str, float] = field(default_factory=dict)
    diagnoses: list[str] = field(default_factory=list)
    # The course release graded ("MyTorch 2.0.x S22-S23"): a class may mix semesters' handouts.
    release: str = ""
    error: str = ""
    seconds: float = 0.0

    @classmethod
    def from_record(cls, record: SubmissionRecord, path: Path) -> "BatchRow":
        result = record.result
        return cls(submission=record.submission, path=path, status=record.status,
                   score=record.score, max_score=record.max_score,
                   percent=result.percent if record.graded and result is not None else 0.0,
                   by_tag={tag: got for tag, (got, _) in record.by_tag.items()},
                   diagnoses=record.diagnoses(limit=5),
                   release=result.release if record.graded and result is not None else "",
                   error=record.error, seconds=record.seconds)


@dataclass
class BatchSummary:
    rows: list[BatchRow]
    out: Path
    records: list[SubmissionRecord] = field(default_factory=list)
    class_html: Path | None = None

    @property
    def grader_failures(self) -> int:
        """Rows where the grader itself broke or died (exit 3 of `grader batch`)."""
        return sum(row.status in (GRADER_ERROR, CRASHED) for row in self.rows)

    def describe(self) -> str:
        graded = [r for r in self.rows if r.status == GRADED]
        others = Counter(r.status for r in self.rows if r.status != GRADED)
        text = f"graded {len(graded)} of {len(self.rows)} submissions into {self.out}"
        if others:
            text += " (" + ", ".join(f"{n} {status}" for status, n in sorted(others.items())) + ")"
        if graded:
            text += f"; mean {sum(r.percent for r in graded) / len(graded):.1f}%"
        return text


# --------------------------------------------------------------------------- discovery


def discover(dirs: list[Path], modules: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(name, folder) of every submission, in a deterministic order, with unique names.

    A DIR holding any of the contract's modules is one submission; otherwise each
    of its sub-folders is one (even an empty one: that student still gets a row).
    """
    found: list[Path] = []
    for d in dirs:
        if not d.exists():
            raise BatchError(f"{d} does not exist; pass submission folders, or folders of them")
        if not d.is_dir():
            raise BatchError(f"{d} is a file; pass submission folders, or folders of them (unzip first)")
        if _is_submission(d, modules):
            found.append(d)
            continue
        subs = [s for s in sorted(d.iterdir(), key=lambda p: p.name)
                if s.is_dir() and not s.name.startswith((".", "__"))]
        if not subs:
            wanted = ", ".join(f"{m}.py" for m in modules)
            raise BatchError(f"{d} holds neither a submission ({wanted}) nor sub-folders of submissions; "
                             f"pass the folder with one sub-folder per student")
        found.extend(subs)
    seen: set[Path] = set()
    named: list[tuple[str, Path]] = []
    used: set[str] = set()
    for path in found:
        key = path.resolve()
        if key in seen:  # the same folder passed twice is graded once
            continue
        seen.add(key)
        name = path.name or str(key)
        if name in used:
            name = f"{path.parent.name}/{path.name}"
        base, n = name, 2
        while name in used:
            name, n = f"{base}#{n}", n + 1
        used.add(name)
        named.append((name, path))
    return named


def _is_submission(folder: Path, modules: tuple[str, ...]) -> bool:
    from grader.profiles import module_file  # dotted package modules: mytorch/nn/linear.py

    return any((folder / module_file(m)).is_file() for m in modules)


# --------------------------------------------------------------------------- the class


def run_batch(dirs: list[Path], *, rubric: Rubric, jobs: int = 1, out: Path = Path("gradebook.csv"),
              reports_dir: Path | None = None, timeout_s: float | None = None, seed: int | None = None,
              data: str | None = None, scheduler: str | None = None, warm: bool = True,
              echo: Callable[[str], None] = lambda line: None) -> BatchSummary:
    """Grade every submission under `dirs`; write the records, the gradebook and the class report.

    jobs: parallel grading processes on this machine (ignored with ``scheduler``).
    warm: fork them from one warm server (grader.forkserver); False starts each afresh.
    scheduler: address of a Dask scheduler; its workers grade instead (grader.distributed).
    The class report goes into ``reports_dir``, or beside the gradebook without one.
    """
    if rubric.path is None:
        raise BatchError("the rubric must be a file so each grading process can read it; pass --rubric FILE")
    submissions = discover(dirs, rubric.modules)
    # Each run ends itself within limits.run_timeout_s; the kill is only a backstop.
    timeout_s = timeout_s if timeout_s is not None else rubric.limits.run_timeout_s + 60.0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if reports_dir is not None:
            reports_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create {exc.filename} ({exc.strerror}); pick writable --out/--reports-dir") from None

    tmp = tempfile.TemporaryDirectory(prefix="grader-batch-") if reports_dir is None else None
    where = Path(tmp.name) if tmp is not None else reports_dir
    assert where is not None
    options = GradeOptions(rubric_file=rubric.path, timeout_s=timeout_s, seed=seed, data=data,
                           modules=tuple(rubric.modules), warm=warm)
    records: dict[str, SubmissionRecord] = {}
    try:
        if scheduler is not None:
            from grader.distributed import grade_on_cluster

            finished = grade_on_cluster(scheduler, submissions, options)
        else:
            finished = _grade_locally(submissions, options, where, jobs)
        for name, record in finished:
            _store(record, where)
            records[name] = record
            score = (f"{record.score:g}/{record.max_score:g}" if record.status == GRADED
                     else f"{record.status}: {record.error}")
            echo(f"[{len(records)}/{len(submissions)}] {name}: {score} ({record.seconds:.1f} s)")
        ordered = [records[name] for name, _ in submissions]
        rows = [BatchRow.from_record(record, path) for record, (_, path) in zip(ordered, submissions)]
        _fill_failed_max_scores(rows, rubric)
        write_gradebook(rows, out, component_columns(rubric, rows))
        from grader.reports.classreport import write_class_report

        class_dir = reports_dir if reports_dir is not None else out.parent
        links = ({r.submission: report_file_name(r.submission) for r in ordered
                  if (where / report_file_name(r.submission)).is_file()} if reports_dir is not None else {})
        report = write_class_report(ordered, class_dir, title=f"Class report: {rubric.name}", report_links=links)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return BatchSummary(rows=rows, out=out, records=ordered, class_html=report.html)


def _grade_locally(submissions: list[tuple[str, Path]], options: GradeOptions, where: Path,
                   jobs: int) -> Iterator[tuple[str, SubmissionRecord]]:
    """Grade with ``jobs`` threads, each waiting on one grading process; yields as they finish.

    The processes are forked from one warm server (grader.forkserver), started once here;
    without it (it failed to start) each is a fresh ``grader run``.
    """
    server = start_fork_server(options, where) if options.warm else None
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_one, name, path, rubric_file=options.rubric_file, reports_dir=where,
                                   timeout_s=options.timeout_s, seed=options.seed, data=options.data,
                                   modules=options.modules, server=server): name
                       for name, path in submissions}
            for future in as_completed(futures):
                name = futures[future]
                try:
                    record = future.result()
                except Exception as exc:  # spawning failed (fd/process limits): still one record
                    record = SubmissionRecord(submission=name, status=CRASHED,
                                              error=f"could not start grading: {type(exc).__name__}: {exc}")
                yield name, record
    finally:
        if server is not None:
            server.close()


def _store(record: SubmissionRecord, where: Path) -> None:
    """Save the record (and report files a remote worker sent back) into the reports folder."""
    for file_name, text in record.files.items():
        (where / Path(file_name).name).write_text(text, encoding="utf-8")
    record.files = {}
    write_record(record, record_path(where, safe_filename(record.submission)))


def _fill_failed_max_scores(rows: list[BatchRow], rubric: Rubric) -> None:
    """Failed rows out of the same maximum as graded ones, so percentages compare."""
    graded = [round(r.max_score, 6) for r in rows if r.status == GRADED]
    most = Counter(graded).most_common(1)[0][0] if graded else rubric.total_points
    for row in rows:
        if row.status != GRADED:
            row.max_score, row.score, row.percent = most, 0.0, 0.0


def component_columns(rubric: Rubric, rows: list[BatchRow]) -> list[str]:
    """Rubric components in catalog order, then any other tag a report used."""
    tags = [t for t in TAGS if t in rubric.components]
    extra = sorted({t for r in rows for t in r.by_tag} - set(tags))
    return tags + extra


def write_gradebook(rows: list[BatchRow], out: Path, tags: list[str]) -> None:
    header = (["submission", "score", "max_score", "percent"] + [f"score:{t}" for t in tags]
              + ["diagnoses", "release", "status", "error", "seconds"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.submission, _num(r.score), _num(r.max_score), _num(r.percent)]
                        + [_num(r.by_tag.get(t, 0.0)) for t in tags]
                        + [";".join(r.diagnoses), r.release, r.status, r.error, _num(r.seconds)])
    # Write-then-rename: an interrupted batch never leaves half a gradebook behind.
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, out)


def _num(x: float) -> str:
    return f"{round(x, 2):g}"
