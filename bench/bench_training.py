"""Time the whole training section of a grading run and its peak memory.

Usage: python bench/bench_training.py [SUBMISSION] [--rubric R] [--repeats 3]
(SUBMISSION defaults to reference/). Runs only the training and performance
checks (a temporary rubric with include_tags), in this process, as
`grader run` does. Prints the wall time of the checks (target <= 6 s on 2
cores for a vectorised submission), the per-check durations, and the peak
resident memory of the grader process and of the worker (ru_maxrss of self
and of waited-for children; target <= 500 MB together).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", default=str(REPO / "reference"))
    parser.add_argument("--rubric", default=str(REPO / "rubrics" / "default.toml"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from grader.rubric import load_rubric
    from grader.runner import grade

    rubric = load_rubric(args.rubric).with_overrides(include_tags=("training", "performance"))
    walls, checks_walls = [], []
    result = None
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = grade(Path(args.submission), rubric)
        walls.append(time.perf_counter() - started)
        checks_walls.append(sum(c.duration_s for c in result.checks))
    assert result is not None
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"submission: {args.submission}")
    print(f"training section: median {statistics.median(checks_walls):.2f} s of checks "
          f"(min {min(checks_walls):.2f}, max {max(checks_walls):.2f}; target <= 6 s), "
          f"median {statistics.median(walls):.2f} s for the whole grade() incl. worker start and data load")
    for check in sorted(result.checks, key=lambda c: -c.duration_s):
        ids = ",".join(d.id for d in check.diagnoses)
        print(f"  {check.duration_s:6.2f} s  {check.status:7s} {check.name}" + (f" [{ids}]" if ids else ""))
    art = result.artifacts
    print(f"student train() {art.get('training_time_s')} s; test accuracy {art.get('test_accuracy')} "
          f"(reference {art.get('reference_accuracy')}, bar {art.get('accuracy_threshold')})")
    print(f"peak RSS: grader {self_mb:.0f} MB, largest worker {child_mb:.0f} MB, "
          f"together {self_mb + child_mb:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
