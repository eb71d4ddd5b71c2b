"""Wall time of `grader batch` on a class of 40: local --jobs 1, --jobs 2, and a 2-worker Dask LocalCluster.

    python bench/bench_batch.py [--size 40] [--rubric tests/cli/submissions/fast.toml]

The class is the public mutant catalog's first mutants, the correct variants
and the reference (tests/mutants/catalog.py), 40 submissions in all. The
cluster should be within 15% of --jobs 2 (same two CPUs, same grading
processes; Dask adds scheduling and shipping the files). Prints the figures
side by side; needs the [dask] extra for the cluster column.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "mutants")]


def build_class(folder: Path, size: int) -> int:
    """Reference, then the correct variants, then mutants, up to `size` submissions; returns the count."""
    from catalog import MUTANTS, VARIANTS, materialize, materialize_variant

    materialize(folder / "000-reference")
    n = 1
    for variant in VARIANTS[: size - n]:
        materialize_variant(folder / f"v-{variant.name}", variant)
        n += 1
    for mutant in MUTANTS[: size - n]:
        materialize(folder / f"m-{mutant.name}", mutant=mutant)
        n += 1
    return n


def time_batch(klass: Path, rubric: Path, out: Path, **kwargs: object) -> tuple[float, object]:
    from grader.batch import run_batch
    from grader.rubric import load_rubric

    started = time.perf_counter()
    summary = run_batch([klass], rubric=load_rubric(rubric), out=out / "gradebook.csv", reports_dir=out, **kwargs)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--rubric", type=Path, default=REPO / "tests" / "cli" / "submissions" / "fast.toml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-batch-") as tmp:
        klass = Path(tmp) / "class"
        n = build_class(klass, args.size)
        print(f"class of {n} submissions, rubric {args.rubric.name}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        results: dict[str, float] = {}
        scores: dict[str, list[float]] = {}
        for label, kwargs in (("--jobs 1", {"jobs": 1}), ("--jobs 2", {"jobs": 2})):
            seconds, summary = time_batch(klass, args.rubric, Path(tmp) / label.replace(" ", ""), **kwargs)
            results[label], scores[label] = seconds, [r.score for r in summary.rows]
            print(f"  {label:<22} {seconds:7.1f} s  ({summary.describe()})", flush=True)
        try:
            from dask.distributed import LocalCluster
        except ImportError:
            print("  2-worker LocalCluster: skipped (pip install 'nn-grader[dask]')")
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                              memory_limit=0) as cluster:
                seconds, summary = time_batch(klass, args.rubric, Path(tmp) / "dask",
                                              scheduler=cluster.scheduler_address)
            results["LocalCluster (2)"], scores["dask"] = seconds, [r.score for r in summary.rows]
            print(f"  {'2-worker LocalCluster':<22} {seconds:7.1f} s  ({summary.describe()})")
            ratio = results["LocalCluster (2)"] / results["--jobs 2"]
            print(f"cluster / --jobs 2 = {ratio:.2f} (target <= 1.15); "
                  f"same scores as local: {scores['dask'] == scores['--jobs 2'] == scores['--jobs 1']}")
        print("side by side (s): " + "  ".join(f"{k}: {v:.1f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
