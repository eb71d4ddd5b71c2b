"""Wall time of a full grading run per profile, side by side: the default profile on
reference/, mytorch-hw1p1 on the correct MyTorch solution (tests/profiles/mytorch/solution)
and cs231n-fc on the correct CS231n solution (tests/profiles/cs231n/solution).

    python bench/bench_profiles.py [--repeat 1]

Target: each profile's run takes at most the default profile's time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = (("default", ROOT / "reference"),
        ("mytorch-hw1p1", ROOT / "tests" / "profiles" / "mytorch" / "solution"),
        ("cs231n-fc", ROOT / "tests" / "profiles" / "cs231n" / "solution"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from grader.profiles import get_profile
    from grader.rubric import load_rubric
    from grader.runner import grade

    print(f"{'profile':<16}{'checks':>8}{'score':>14}{'best wall s':>13}{'all runs s':>24}")
    figures = {}
    for name, submission in RUNS:
        rubric = load_rubric(get_profile(name).rubric)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = grade(submission, rubric)
            times.append(time.perf_counter() - started)
        figures[name] = min(times)
        print(f"{name:<16}{len(result.checks):>8}{f'{result.score:.0f}/{result.max_score:.0f}':>14}"
              f"{min(times):>13.2f}{', '.join(f'{t:.2f}' for t in times):>24}")
    for name, _ in RUNS[1:]:
        print(f"{name} / default: {figures[name] / figures['default']:.2f} (target <= 1.00)")


if __name__ == "__main__":
    main()
