"""The floor of a full grade (issue 21): the work no grader of the default rubric can skip.

    python bench/floor.py

Start Python, import NumPy, load the cached MNIST subset (the split read from the
split cache, as a warm grading run reads it), train the reference 784-64-10 MLP
with the default rubric's hyperparameters and predict the test images. Run as its
own process by bench/bench_speed.py, so a grade's time is compared with this one
measured on the same machine, at the same moment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# One BLAS thread, as in the grader's sandbox worker where the student's train() runs
# (on a busy 2-core machine two spinning OpenBLAS threads make small products ~7x slower).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.data import load_dataset  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402
from reference.network import MLP, train  # noqa: E402


def main() -> None:
    training = load_rubric("default").training
    data = load_dataset(training.dataset, seed=load_rubric("default").seed,
                        n_train=training.n_train, n_test=training.n_test)
    model = MLP([784, *training.hidden, 10], rng=np.random.default_rng(0))
    train(model, data.X_train, data.y_train, epochs=training.epochs, batch_size=training.batch_size,
          lr=training.lr, rng=np.random.default_rng(1))
    accuracy = float((model.predict(data.X_test) == data.y_test).mean())
    print(f"test accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
