"""Time to build the class report from 1,000 saved submission records (`grader class`).

    python bench/bench_class_report.py [--n 1000]

The records are synthetic but full-sized: 45 checks each, a few failing with
diagnoses, and the training artifacts (confusion matrix, learning curves,
per-class recall) a real run saves. Target: under 10 s for 1,000.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from grader.records import SubmissionRecord, record_path, write_record
from grader.reports.classreport import rebuild_class_report
from grader.results import CheckResult, Diagnosis, GradingResult
from grader.vocabulary import DIAGNOSIS_IDS, TAGS

N_CHECKS = 45


def synthetic_record(i: int, rng: random.Random) -> SubmissionRecord:
    name = f"student-{i:04d}"
    if rng.random() < 0.03:
        return SubmissionRecord(name, status=rng.choice(["timeout", "crashed", "grader-error"]),
                                error="timeout: not graded within 600 s", seconds=600.0)
    checks = []
    for k in range(N_CHECKS):
        failed = rng.random() < 0.15
        status = "failed" if failed else "passed"
        diagnoses = [Diagnosis(rng.choice(sorted(DIAGNOSIS_IDS)), "Fix the thing.")] if failed else []
        checks.append(CheckResult(f"check {k}", 2.0, 0.0 if failed else 2.0, status, [TAGS[k % len(TAGS)]],  # type: ignore[arg-type]
                                  diagnoses=diagnoses, message="wrong" if failed else "", number=f"{k}.1"))
    artifacts = {"confusion_matrix": [[rng.randint(0, 100) for _ in range(10)] for _ in range(10)],
                 "learning_curve": {"student": [rng.random() for _ in range(20)],
                                    "reference": [rng.random() for _ in range(20)]},
                 "per_class_recall": [rng.random() for _ in range(10)], "test_accuracy": rng.random()}
    result = GradingResult(name, checks, execution_time_s=30.0, rubric="default", seed=0, artifacts=artifacts)
    return SubmissionRecord(name, seconds=rng.uniform(20, 90), fingerprint=f"{rng.randint(0, 900):x}",
                            result=result)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="grader-bench-class-") as tmp:
        folder = Path(tmp)
        for i in range(args.n):
            write_record(synthetic_record(i, rng), record_path(folder, f"student-{i:04d}"))
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        started = time.perf_counter()
        report = rebuild_class_report(folder)
        seconds = time.perf_counter() - started
        print(f"class report of {args.n} records ({size:.0f} MB of JSON): {seconds:.2f} s "
              f"(target < 10 s); {report.html.stat().st_size / 1e3:.0f} kB HTML, "
              f"{len(report.figures.diagnoses)} diagnoses, {len(report.figures.identical)} identical groups")


if __name__ == "__main__":
    main()
