"""How many Hypothesis examples each check needs to catch the catalog's bugs (issue 21).

    python bench/bench_examples.py [--jobs 2] [--only NAME ...]

Grades every mutant of the default catalog (tests/mutants/catalog.py) on its own
component, as tests/mutants does, and records for each failing property check the number
of the example that first failed (1 = the first example Hypothesis tried). Prints, per
check, the examples it runs and the most any catch needed, then, per mutant and
diagnosis, the fewest examples any check needed to report it: a budget below that loses
the catch. What it measures is the catalog's bugs, not every bug: tests/golden is the
proof that a smaller budget loses nothing on the catalog.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"


def check_of_current_test() -> str:
    """The running check's name ("test_linear.py::test_backward"), from pytest's own variable."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "?")
    return current.rsplit(" ", 1)[0].split("/")[-1]


def count_examples() -> dict[str, dict[str, Any]]:
    """Patch Hypothesis so every example run is counted per check, with the first that failed."""
    import hypothesis.core as core

    seen: dict[str, dict[str, Any]] = defaultdict(lambda: {"examples": 0, "first_failure": None})
    original = core.StateForActualGivenExecution.execute_once

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        entry = seen[check_of_current_test()]
        entry["examples"] += 1
        try:
            return original(self, *args, **kwargs)
        except BaseException:
            if entry["first_failure"] is None:
                entry["first_failure"] = entry["examples"]
            raise

    core.StateForActualGivenExecution.execute_once = counted  # type: ignore[method-assign]
    return seen


def worker(jobs_file: Path, out_file: Path) -> None:
    """Grade each job in this process; write, per job, each check's examples and diagnoses."""
    from grader.rubric import load_rubric
    from grader.runner import grade

    results: dict[str, Any] = {}
    seen = count_examples()
    for job in json.loads(jobs_file.read_text()):
        seen.clear()
        rubric = load_rubric("default").with_overrides(include_tags=[job["tag"]])
        result = grade(Path(job["dir"]), rubric)
        results[job["name"]] = {
            c.name: {**seen.get(c.name, {"examples": 0, "first_failure": None}),
                     "diagnoses": [f"{c.tags[0]}:{d.id}" for d in c.diagnoses]}
            for c in result.checks}
    out_file.write_text(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="grading processes")
    parser.add_argument("--only", nargs="*", default=None, help="mutant names (default: all)")
    parser.add_argument("--worker", nargs=2, metavar=("JOBS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path[:0] = [str(TESTS), str(TESTS / "mutants")]
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]))
        return
    import catalog

    mutants = [m for m in catalog.MUTANTS if args.only is None or m.name in args.only]
    golden = json.loads((TESTS / "golden" / "default.json").read_text())
    with tempfile.TemporaryDirectory(prefix="bench-examples-") as tmp:
        root = Path(tmp)
        jobs = [{"name": m.name, "tag": m.tag,
                 "dir": str(catalog.materialize(root / m.name, mutant=m))} for m in mutants]
        procs = []
        for i in range(args.jobs):
            (root / f"jobs{i}.json").write_text(json.dumps(jobs[i::args.jobs]))
            procs.append(subprocess.Popen([sys.executable, __file__, "--worker", str(root / f"jobs{i}.json"),
                                           str(root / f"out{i}.json")], cwd=REPO))
        graded: dict[str, Any] = {}
        for i, proc in enumerate(procs):
            if proc.wait() != 0:
                sys.exit(f"grading process {i} failed")
            graded.update(json.loads((root / f"out{i}.json").read_text()))
    report(graded, golden)


def report(graded: dict[str, Any], golden: dict[str, list[str]]) -> None:
    runs: dict[str, int] = {}
    needed: dict[str, int] = defaultdict(int)   # check -> most examples any catch needed
    for checks in graded.values():
        for name, c in checks.items():
            runs[name] = max(runs.get(name, 0), c["examples"])
            if c["first_failure"] is not None:
                needed[name] = max(needed[name], c["first_failure"])
    print(f"{'check':58s} {'runs':>5s} {'needs':>5s}")
    for name in sorted(runs, key=lambda n: -runs[n]):
        if runs[name]:
            print(f"{name:58s} {runs[name]:5d} {needed.get(name, 0):5d}")
    print("\nper mutant and diagnosis (golden), the fewest examples a check needed to report it:")
    worst = 0
    for mutant, checks in sorted(graded.items()):
        for pair in golden.get(mutant, []):
            firsts = [c["first_failure"] or 0 for c in checks.values() if pair in c["diagnoses"]]
            fewest = min(firsts) if firsts else None
            worst = max(worst, fewest or 0)
            if fewest is None or fewest > 3:
                print(f"  {mutant:34s} {pair:40s} {'not reported' if fewest is None else fewest}")
    print(f"\nthe most examples any recorded catch needs: {worst} (0 = caught by checks without examples)")


if __name__ == "__main__":
    main()
