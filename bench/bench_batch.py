"""Wall time of `grader batch` on a class of 40: local --jobs 1, --jobs 2, and a 2-worker Dask LocalCluster.

    python bench/bench_batch.py [--size 40] [--rubric tests/cli/submissions/fast.toml]
    python bench/bench_batch.py --copies 20 --rubric rubrics/default.toml   # issue 21's figure

--copies N grades N copies of reference/ instead of the catalog class. Each local
row also gives the CPU seconds per submission (batch + fork server + grading
processes + sandbox workers), the throughput two idle cores would reach at that
CPU cost, and the peak memory of the whole process tree, sampled every 20 ms:
resident (RSS, shared pages counted in every process) and proportional (PSS,
shared pages split between the processes that share them, what the machine pays).
"--jobs 2, fresh" starts every grading as a new `python -m grader` (warm=False),
the way batches ran before the fork server.

The class is the public mutant catalog's first mutants, the correct variants
and the reference (tests/mutants/catalog.py), 40 submissions in all. The
cluster should be within 15% of "--jobs 2, fresh" (same two CPUs, same grading
processes; Dask adds scheduling and shipping the files). Prints the figures
side by side; needs the [dask] extra for the cluster column.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
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


def build_copies(folder: Path, copies: int) -> int:
    for i in range(copies):
        shutil.copytree(REPO / "reference", folder / f"student{i:02d}", ignore=shutil.ignore_patterns("__pycache__"))
    return copies


def tree_memory(root: int | None = None) -> tuple[int, int]:
    """(RSS, PSS) bytes of process `root` (default: this one) and all its descendants, from
    /proc. PSS counts a page shared by N processes (a fork's) as 1/N in each: the tree's real
    use; RSS counts it in every process."""
    rss = pss = 0
    todo = [os.getpid() if root is None else root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
            # Every thread's children: the batch starts its grading processes from pool threads.
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return rss, pss


def cpu_seconds() -> float:
    """CPU of this process and of every descendant reaped so far (a fork server's children count
    once the server is reaped: it reaps them)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def time_batch(klass: Path, rubric: Path, out: Path, **kwargs: object) -> tuple[float, object, float, tuple[int, int]]:
    """(wall seconds, summary, CPU seconds, peak (RSS, PSS) bytes of the process tree)."""
    from grader.batch import run_batch
    from grader.rubric import load_rubric

    peak = [0, 0]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            rss, pss = tree_memory()
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu = cpu_seconds()
    started = time.perf_counter()
    summary = run_batch([klass], rubric=load_rubric(rubric), out=out / "gradebook.csv", reports_dir=out, **kwargs)
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    return elapsed, summary, cpu_seconds() - cpu, (peak[0], peak[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--rubric", type=Path, default=REPO / "tests" / "cli" / "submissions" / "fast.toml")
    parser.add_argument("--copies", type=int, default=0, help="grade this many copies of reference/ instead")
    parser.add_argument("--skip-jobs-1", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-batch-") as tmp:
        klass = Path(tmp) / "class"
        n = build_copies(klass, args.copies) if args.copies else build_class(klass, args.size)
        print(f"class of {n} submissions, rubric {args.rubric.name}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        results: dict[str, float] = {}
        scores: dict[str, list[float]] = {}
        local = [("--jobs 1", {"jobs": 1})] if not args.skip_jobs_1 else []
        local += [("--jobs 2", {"jobs": 2}), ("--jobs 2, fresh", {"jobs": 2, "warm": False})]
        for label, kwargs in local:
            seconds, summary, cpu, (rss, pss) = time_batch(klass, args.rubric, Path(tmp) / label.replace(" ", ""),
                                                           **kwargs)
            results[label], scores[label] = seconds, [r.score for r in summary.rows]
            print(f"  {label:<22} {seconds:7.1f} s  {n / seconds * 3600:6,.0f}/h  cpu {cpu / n:5.2f} s/submission "
                  f"(two idle cores: {2 * 3600 * n / cpu:,.0f}/h)  peak RSS {rss / 1e6:,.0f} MB, "
                  f"PSS {pss / 1e6:,.0f} MB  load {os.getloadavg()[0]:.1f}  ({summary.describe()})", flush=True)
        try:
            if args.skip_dask:
                raise ImportError
            from dask.distributed import LocalCluster
        except ImportError:
            print("  2-worker LocalCluster: skipped (--skip-dask, or pip install 'nn-grader[dask]')")
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                              memory_limit=0) as cluster:
                seconds, summary, _, _ = time_batch(klass, args.rubric, Path(tmp) / "dask",
                                                    scheduler=cluster.scheduler_address)
            results["LocalCluster (2)"], scores["dask"] = seconds, [r.score for r in summary.rows]
            print(f"  {'2-worker LocalCluster':<22} {seconds:7.1f} s  ({summary.describe()})")
            ratio = results["LocalCluster (2)"] / results["--jobs 2, fresh"]
            print(f"cluster / --jobs 2, fresh = {ratio:.2f} (target <= 1.15); "
                  f"same scores as local: {scores['dask'] == scores['--jobs 2']}")
        print("side by side (s): " + "  ".join(f"{k}: {v:.1f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
