"""Wall time of the component checks (everything but training/performance) on reference/.

    python bench/bench_checks.py [SUBMISSION] [--rubric default] [--repeat 1]

Prints the total wall time of one grading run restricted to the component tags,
then the time per check file and the slowest checks. Target: <= 8 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("api", "linear", "relu", "sigmoid", "tanh", "softmax", "cross-entropy", "mse",
              "sgd", "mlp")
TARGET_S = 8.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(ROOT / "reference"))
    parser.add_argument("--rubric", default="default")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from grader.rubric import load_rubric
    from grader.runner import grade

    rubric = load_rubric(args.rubric).with_overrides(include_tags=COMPONENTS)
    for run in range(args.repeat):
        started = time.perf_counter()
        result = grade(Path(args.submission), rubric)
        wall = time.perf_counter() - started
        per_file: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        for check in result.checks:
            file = check.name.split("::")[0]
            per_file[file] += check.duration_s
            counts[file] += 1
        failed = [c.name for c in result.checks if c.status != "passed"]
        print(f"run {run + 1}: {len(result.checks)} component checks, wall {wall:.2f} s "
              f"(checks {result.artifacts.get('checks_wall_time_s', '?')} s; target <= {TARGET_S:g} s)"
              f"{'' if wall <= TARGET_S else '  OVER BUDGET'}")
        for file, seconds in sorted(per_file.items(), key=lambda kv: -kv[1]):
            print(f"  {file:24s} {seconds:6.2f} s  ({counts[file]} checks)")
        print("  slowest:")
        for check in sorted(result.checks, key=lambda c: -c.duration_s)[:8]:
            print(f"    {check.duration_s:5.2f} s  {check.name}")
        if failed:
            print(f"  NOT PASSED on {args.submission}: {', '.join(failed)}")


if __name__ == "__main__":
    main()
