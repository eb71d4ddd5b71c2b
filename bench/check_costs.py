"""Measure what each check costs and write it beside the checks (issue 21: balanced sessions).

    python bench/check_costs.py [--repeat 5] [--write] [--profile NAME ...]

(default: the profiles whose checks already carry a costs.json: today MyTorch and CS231n)

Grades each profile's correct solution --repeat times, in two sessions as a run does (a
check's seconds include its share of the machine, both sessions busy), under the self-check's
budget and under the profile's own rubric, and takes each check's median seconds. Prints,
per profile and budget, how the two sessions of a run would split with these costs and
without them (by count), as the sum of the measured seconds in each half. --write stores the
costs in the profile's checks/costs.json, which grader.checks.costs reads to balance the
sessions (regenerate it after changing checks; a check it does not name weighs the median).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from bench_speed import PROFILES, REPO

from grader.checks import shards
from grader.checks.costs import COSTS_FILE, Budget, MeasuredCosts, check_weights
from grader.profiles import get_profile
from grader.rubric import load_rubric
from grader.runner import grade
from grader.selfcheck import self_check_rubric


# Releases whose checks the correct solution above does not run (CS231n's 2016-2020
# neural_net.TwoLayerNet): their checks are measured on a solution of that release.
OTHER_RELEASES = {"cs231n-fc": [REPO / "tests" / "profiles" / "cs231n" / "neural_net_2019"]}


def measure(submission: Path, rubric, repeat: int) -> tuple[dict[str, float], dict[str, str]]:
    """(median seconds of each check, its component) over `repeat` one-session gradings."""
    seconds: dict[str, list[float]] = defaultdict(list)
    tags: dict[str, str] = {}
    grade(submission, rubric)  # warm: imports, the data set, the reference runs' cache
    for _ in range(repeat):
        for check in grade(submission, rubric).checks:
            seconds[check.name].append(check.duration_s)
            tags[check.name] = check.tags[0] if check.tags else "other"
    return {name: statistics.median(values) for name, values in seconds.items()}, tags


def halves(names: list[str], tags: list[str], weights: list[float] | None, training_weight: float,
           seconds: dict[str, float]) -> list[float]:
    """The measured seconds in each half when the sessions split by `weights` (None: by count)."""
    items = []
    for name in names:  # the check's module and parameters, as shards.group_of reads an item
        module, _, rest = name.partition("::")
        param = rest[rest.index("[") + 1:-1] if rest.endswith("]") else None
        callspec = SimpleNamespace(id=param) if param else None
        items.append(SimpleNamespace(path=Path(module), callspec=callspec))
    split = shards.shard_of(items, tags, training_weight, 2, weights=weights)
    return [sum(seconds[n] for n, h in zip(names, split) if h == half) for half in (0, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true",
                        help="store the costs in each profile's checks/costs.json")
    parser.add_argument("--profile", action="append", help="profiles to measure (default: all)")
    args = parser.parse_args()
    for name, submission in PROFILES:
        profile = get_profile(name)
        # Only where it was measured to help (and so ships a file), unless named: the default
        # profile's run was ~0.1 s slower split by cost than by count (interleaved A/B), its
        # training running in the worker while the other session's checks use the other core.
        if (args.profile and name not in args.profile
                or not args.profile and not (profile.checks_dir / COSTS_FILE).is_file()):
            continue
        full = load_rubric(profile.rubric)
        own_check = load_rubric("selfcheck") if name == "default" else full
        budgets = []
        for label, rubric in (("check", self_check_rubric(own_check)), ("run", full)):
            seconds, tags = measure(submission, rubric, args.repeat)
            for other in OTHER_RELEASES.get(name, []):
                more, more_tags = measure(other, rubric, args.repeat)
                for check in more.keys() - seconds.keys():
                    seconds[check], tags[check] = more[check], more_tags[check]
            budget = Budget.of(rubric)
            names = list(seconds)
            tag_list = [tags[n] for n in names]
            training = rubric.training
            run_weight = shards.training_weight(profile.training_cost, rubric)
            by_count = halves(names, tag_list, None, run_weight, seconds)
            weights = check_weights(names, tag_list, budget, [MeasuredCosts(budget, seconds)])
            by_cost = halves(names, tag_list, weights, run_weight, seconds)
            print(f"{name:14s} {label:5s} {len(names):3d} checks, {sum(seconds.values()):6.2f} s of checks;"
                  f" halves by count {by_count[0]:.2f} / {by_count[1]:.2f} s,"
                  f" by measured cost {by_cost[0]:.2f} / {by_cost[1]:.2f} s")
            budgets.append({"hypothesis_max_examples": budget.max_examples, "n_train": int(training.n_train),
                            "epochs": int(training.epochs),
                            "seconds": {n: round(seconds[n], 4) for n in sorted(seconds)}})
        if args.write:
            path = profile.checks_dir / COSTS_FILE
            note = ("Seconds each check took on the profile's correct solution in a run's two sessions "
                    "(bench/check_costs.py); grader.checks.costs balances the sessions with them.")
            path.write_text(json.dumps({"about": note, "budgets": budgets}, indent=1) + "\n")
            print(f"  wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
