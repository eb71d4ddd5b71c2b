"""Wall-clock benchmarks of the CLI, as users run it (real processes, real grading).

    python bench/bench_cli.py [--repeat 3] [--copies 20] [--skip-batch]

Prints the median time of:
  * `grader run reference/`            (default rubric)     target <= 15 s
  * `grader check` in a copy of it     (selfcheck rubric)   target <= 5 s
  * `grader batch` of N copies, --jobs 2 vs --jobs 1        target speedup >= 1.7x
and exits 1 if a target is missed (so CI can run it as a gate).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"


CPU_SECONDS: list[float] = []  # CPU time (user+sys, all descendants) of each timed command


def timed(cmd: list[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def busy_warning() -> str:
    """Timings on a shared machine mean little: say so when others are using the CPUs."""
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    return f"  (load average {load:.1f} on {cpus} CPUs: other work is competing, timings are pessimistic)" \
        if load > 0.5 * cpus else ""


def median_of(repeat: int, cmd: list[str], **kw: object) -> tuple[float, list[float]]:
    times = [timed(cmd, **kw) for _ in range(repeat)]  # type: ignore[arg-type]
    return statistics.median(times), times


def copy_submission(dest: Path) -> Path:
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return dest


def report(label: str, value: float, target: str, ok: bool, detail: str = "") -> bool:
    mark = "ok  " if ok else "MISS"
    print(f"{mark} {label:<38} {value:8.2f}   target {target:<10} {detail}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--copies", type=int, default=20, help="submissions in the batch benchmark")
    parser.add_argument("--skip-batch", action="store_true", help="skip the (long) batch benchmark")
    args = parser.parse_args()
    grader = [sys.executable, "-m", "grader"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repeat {args.repeat}{busy_warning()}",
          flush=True)
    results: list[bool] = []

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp_name:
        tmp = Path(tmp_name)
        run_median, run_times = median_of(args.repeat, [*grader, "run", str(REFERENCE), "--format", "json",
                                                        "--output", str(tmp / "r.json")])
        results.append(report("grader run reference/ (s)", run_median, "<= 15 s", run_median <= 15,
                              f"runs {', '.join(f'{t:.1f}' for t in run_times)}"))

        mine = copy_submission(tmp / "mine")
        check_median, check_times = median_of(args.repeat, [*grader, "check"], cwd=mine)
        results.append(report("grader check (s)", check_median, "<= 5 s", check_median <= 5,
                              f"runs {', '.join(f'{t:.1f}' for t in check_times)}"))

        if not args.skip_batch:
            klass = tmp / "class"
            for i in range(args.copies):
                copy_submission(klass / f"student{i:02d}")
            batch = [*grader, "batch", str(klass), "--out", str(tmp / "g.csv")]
            one = timed([*batch, "--jobs", "1"])
            cpu_one = CPU_SECONDS[-1]
            two = timed([*batch, "--jobs", "2"])
            speedup = one / two
            # CPUs one grading keeps busy: with --jobs 2 the ceiling is min(2, cpus / this).
            per_job = cpu_one / one
            report(f"grader batch x{args.copies} --jobs 1 (s)", one, "", True,
                   f"{per_job:.2f} CPUs busy on average")
            report(f"grader batch x{args.copies} --jobs 2 (s)", two, "", True, busy_warning())
            cpus = os.cpu_count() or 1
            ceiling = min(2.0, cpus / max(per_job, 1e-9))
            note = f"ceiling on this machine ~{ceiling:.2f}x" + ("" if cpus >= 2 else " (only 1 CPU)")
            results.append(report("batch speedup --jobs 2 vs 1 (x)", speedup, ">= 1.7x", speedup >= 1.7, note))

    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
