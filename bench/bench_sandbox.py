"""Sandbox figures: worker start, small-call round trip, a 784x128 float64 array both ways,
and one way (the argument watched for in-place changes).

    python bench/bench_sandbox.py

Prints measured vs target; not a test (timings depend on the machine).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.sandbox import Sandbox

SUBMISSION = '''
import numpy as np

def echo(x):
    return x

def rows(x):
    return x.shape[0]

def noop():
    return None

class Box:
    def get(self):
        return 1
'''


def row(name: str, measured_s: float, target_s: float, unit: str = "ms") -> None:
    scale = {"ms": 1e3, "us": 1e6}[unit]
    verdict = "ok" if measured_s <= target_s else "OVER"
    print(f"{name:<34} {measured_s * scale:10.1f} {unit:<3} target <= {target_s * scale:8.1f} {unit:<3} {verdict}")


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "bench.py").write_text(SUBMISSION)
        starts = []
        for _ in range(7):
            t = time.perf_counter()
            with Sandbox(d) as sb:
                starts.append(time.perf_counter() - t)
                protections = sb.protections
        with Sandbox(d) as sb:
            box = sb.new("bench", "Box")
            for _ in range(200):
                box.call("get")
            small = []
            for _ in range(2000):
                t = time.perf_counter()
                box.call("get")
                small.append(time.perf_counter() - t)
            x = np.random.default_rng(0).standard_normal((784, 128))
            for _ in range(20):
                sb.call("bench", "echo", x)
            big = []
            for _ in range(200):
                t = time.perf_counter()
                y = sb.call("bench", "echo", x)
                big.append(time.perf_counter() - t)
            assert np.array_equal(x, y)
            # One way only: what the worker's input-mutation watch (a copy of the argument
            # before the call, compared after it) adds shows here, not hidden by the reply.
            one_way = []
            for _ in range(200):
                t = time.perf_counter()
                sb.call("bench", "rows", x)
                one_way.append(time.perf_counter() - t)
            restarts = []
            for _ in range(5):
                t = time.perf_counter()
                sb.restart()
                restarts.append(time.perf_counter() - t)
    print("protections:", *(f"  {k}: {v}" for k, v in protections.items()), sep="\n")
    print()
    row("worker start (median of 7)", statistics.median(starts), 0.5)
    row("restart (median of 5)", statistics.median(restarts), 0.5)
    row("small call round trip (median)", statistics.median(small), 200e-6, "us")
    print(f"{'small call round trip (p99)':<34} {sorted(small)[int(0.99 * len(small))] * 1e6:10.1f} us  (no target; shared machine)")
    row("784x128 float64 both ways (median)", statistics.median(big), 5e-3)
    row("784x128 float64 in, watched (median)", statistics.median(one_way), 2e-3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
