"""One JSON record per graded submission: the single source of truth of a class.

`grader batch` writes ``<name>.record.json`` for every submission, graded or
not (a time-out or a crash still gets a record, with no result). The gradebook
rows and every figure of the class report are computed from these records, and
`grader class REPORTS_DIR` rebuilds the class report from them without
re-grading. The full `GradingResult` is kept (check statuses, tags,
diagnoses, artifacts), so figures never depend on a lossy report format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.results import CheckResult, GradingResult, NotAssignedPart

FORMAT = "grader-submission-record/1"
SUFFIX = ".record.json"

#: Record statuses. Only "graded" records carry a real score.
GRADED, BAD_SUBMISSION, GRADER_ERROR, TIMEOUT, CRASHED = "graded", "bad-input", "grader-error", "timeout", "crashed"


class RecordError(Exception):
    """A record file that cannot be read; the message names the file and the fix."""


@dataclass
class SubmissionRecord:
    """What grading one submission produced, as the batch saw it."""

    submission: str
    status: str = GRADED
    error: str = ""
    seconds: float = 0.0  # wall time of the whole grading process
    fingerprint: str | None = None  # grader.fingerprint.source_fingerprint of the graded files
    result: GradingResult | None = None  # None when the process produced no result (time-out, crash)
    files: dict[str, str] = field(default_factory=dict)  # report files shipped back by a remote worker

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "submission": self.submission, "status": self.status, "error": self.error,
                "seconds": self.seconds, "fingerprint": self.fingerprint,
                "result": self.result.to_dict() if self.result is not None else None}

    @classmethod
    def from_json(cls, data: Any, where: str = "record") -> "SubmissionRecord":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordError(f"{where}: not a grader submission record ({FORMAT}); "
                              "pass the --reports-dir folder a `grader batch` wrote")
        try:
            raw = data.get("result")
            return cls(submission=str(data["submission"]), status=str(data["status"]),
                       error=str(data.get("error") or ""), seconds=float(data.get("seconds") or 0.0),
                       fingerprint=data.get("fingerprint") or None,
                       result=result_from_dict(raw) if raw is not None else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"{where}: malformed record ({type(exc).__name__}: {exc}); "
                              "re-grade that submission with `grader batch`") from None

    # ---- figures every consumer (gradebook, class report) reads the same way

    @property
    def graded(self) -> bool:
        # A run where only some checks broke (exit 3, their points left out) still has a score.
        return self.result is not None and (self.status == GRADED or (
            self.status == GRADER_ERROR and not self.result.grader_error and bool(self.result.checks)))

    @property
    def score(self) -> float:
        return self.result.score if self.graded else 0.0  # type: ignore[union-attr]

    @property
    def max_score(self) -> float:
        return self.result.max_score if self.result is not None else 0.0

    @property
    def by_tag(self) -> dict[str, tuple[float, float]]:
        return self.result.by_tag() if self.graded else {}  # type: ignore[union-attr]

    def diagnoses(self, limit: int = 5) -> list[str]:
        return self.result.top_diagnoses(limit=limit) if self.graded else []  # type: ignore[union-attr]


def result_from_dict(data: dict[str, Any]) -> GradingResult:
    """The inverse of ``GradingResult.to_dict`` (JSON-loaded)."""
    checks = [CheckResult.from_dict(raw) for raw in data.get("checks", [])]
    return GradingResult(submission=str(data["submission"]), checks=checks,
                         execution_time_s=float(data.get("execution_time_s", 0.0)),
                         rubric=str(data.get("rubric", "")), seed=int(data.get("seed", 0)),
                         grader_error=str(data.get("grader_error", "")),
                         artifacts=dict(data.get("artifacts") or {}),
                         release=str(data.get("release", "")),
                         release_why=str(data.get("release_why", "")),
                         not_assigned=[NotAssignedPart(**part) for part in data.get("not_assigned", [])])


def record_path(folder: Path, stem: str) -> Path:
    return folder / f"{stem}{SUFFIX}"


def write_record(record: SubmissionRecord, path: Path) -> None:
    """Write ``record`` as JSON, atomically (a killed batch never leaves half a record)."""
    from grader.data.cache import atomic_writer

    with atomic_writer(path) as fh:
        fh.write((json.dumps(record.to_json(), indent=1) + "\n").encode("utf-8"))


def read_record(path: Path) -> SubmissionRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordError(f"{path}: cannot read the record ({exc}); re-grade that submission "
                          "with `grader batch`") from None
    return SubmissionRecord.from_json(data, str(path))


def load_records(folder: Path) -> list[SubmissionRecord]:
    """Every ``*.record.json`` in ``folder``, sorted by submission name."""
    if not folder.is_dir():
        raise RecordError(f"{folder} is not a folder; pass the --reports-dir folder of a `grader batch` run")
    records = [read_record(p) for p in sorted(folder.glob(f"*{SUFFIX}"))]
    if not records:
        raise RecordError(f"{folder} holds no *{SUFFIX} files; grade the class with "
                          f"`grader batch DIR --reports-dir {folder}` first")
    return sorted(records, key=lambda r: r.submission)
