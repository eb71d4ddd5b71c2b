"""Time the reference network's training on the embedded MNIST subset (4,000 train / 1,000 test).

Usage: python bench/bench_reference.py [--epochs 8] [--hidden 64] [--repeats 3]
Prints the median training time and the test accuracy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from grader.data import load_dataset
from reference.network import MLP, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    data = load_dataset(None, seed=0)
    load_s = time.perf_counter() - started
    times, accuracies = [], []
    for repeat in range(args.repeats):
        model = MLP([784, args.hidden, 10], rng=np.random.default_rng(repeat))
        started = time.perf_counter()
        train(model, data.X_train, data.y_train, epochs=args.epochs, batch_size=args.batch_size,
              lr=args.lr, rng=np.random.default_rng(100 + repeat))
        times.append(time.perf_counter() - started)
        accuracies.append(float((model.predict(data.X_test) == data.y_test).mean()))
    print(f"dataset load: {load_s:.2f} s ({len(data.y_train)} train / {len(data.y_test)} test)")
    print(f"reference training: median {statistics.median(times):.3f} s over {args.repeats} runs "
          f"(hidden {args.hidden}, {args.epochs} epochs, batch {args.batch_size}, lr {args.lr})")
    print(f"test accuracy: min {min(accuracies):.3f}, max {max(accuracies):.3f} (target >= 0.88)")


if __name__ == "__main__":
    main()
