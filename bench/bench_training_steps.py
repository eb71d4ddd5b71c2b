"""The course profiles' training runs, as the grader drives them step by step: per recipe,
the seconds of its test_loss_decreases check (which carries the run), and per grade the
requests sent to the worker and the CPU seconds of grader + worker.

    python bench/bench_training_steps.py [--course mytorch|cs231n] [--repeats 3]

Grades the course's solution (tests/profiles/<course>/solution) in this process, one check
session (SHARDS = 1, so each check's duration is its own), and prints the minimum over the
repeats. Compare two trees side by side (PYTHONPATH=<tree>): seconds drift with the load.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from bench_batch import cpu_seconds  # this process and its reaped workers

ROOT = Path(__file__).resolve().parents[1]
COURSES = {"mytorch": ("tests/profiles/mytorch/solution", "mytorch-hw1p1"),
           "cs231n": ("tests/profiles/cs231n/solution", "cs231n-fc")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", choices=sorted(COURSES), default="mytorch")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import grader.checks.shards as shards
    from grader.rubric.loading import load_rubric
    from grader.runner import grade
    from grader.sandbox.engine import RequestEngine

    shards.SHARDS = 1
    sent = [0]
    send = RequestEngine._send

    def counted(self, *a, **k):  # one request (a call alone or a whole plan) each
        sent[0] += 1
        return send(self, *a, **k)

    RequestEngine._send = counted  # type: ignore[method-assign]
    submission, rubric = COURSES[args.course]
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    requests, cpus = [], []
    for _ in range(args.repeats):
        sent[0], cpu = 0, cpu_seconds()
        result = grade(ROOT / submission, load_rubric(rubric))
        requests.append(sent[0])
        cpus.append(cpu_seconds() - cpu)
        for check in result.checks:
            if "test_loss_decreases[" in check.name:
                best[check.name] = min(best[check.name], check.duration_s)
    for name, seconds in best.items():
        print(f"  {seconds:6.2f} s  {name}")
    print(f"{args.course}: training runs {sum(best.values()):.2f} s (min of {args.repeats}); "
          f"requests per grade {min(requests)}; CPU per grade (grader + worker) {min(cpus):.2f} s")


if __name__ == "__main__":
    main()
