"""The cs231n-fc training recipes on the reference alone: test accuracy, final test loss and
wall time of each recipe (every update rule, the deeper net) at the rubric's learning rate
and at a third and three times it, so the rubric's choice can be checked and re-made.

    python bench/bench_cs231n_recipes.py [--rubric cs231n-fc]

A recipe's learning rate is right when the reference learns well there (accuracy near the
best of the three) and a rule that loses its state (signSGD-like steps) is not also fine.
"""

from __future__ import annotations

import argparse
import dataclasses
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rubric", default="cs231n-fc")
    args = parser.parse_args()

    from grader.data import load_dataset
    from grader.profiles.cs231n_fc import training as T
    from grader.training.runs import N_CLASSES, init_params, train
    from grader.rubric import load_rubric
    from grader.training.calibration import one_blas_thread

    rubric = load_rubric(args.rubric)
    cfg = rubric.training
    data = load_dataset(cfg.dataset, seed=rubric.seed, n_train=cfg.n_train, n_test=cfg.n_test)
    sets = (data.X_train, data.y_train, data.X_test, data.y_test)
    print(f"{'recipe':<14}{'rule':<14}{'hidden':<10}{'lr':>10}{'accuracy':>10}{'loss':>8}{'s':>7}")
    for key in T.RECIPES:
        base = T.recipe(key, cfg)
        for factor in (1 / 3, 1.0, 3.0):
            recipe = dataclasses.replace(base, lr=base.lr * factor)
            start = init_params((data.X_train.shape[1], *recipe.hidden, N_CLASSES), rubric.seed + 1)
            started = time.perf_counter()
            with one_blas_thread():
                run = train(T.LocalNet(start, recipe.rule, recipe.lr), start, *sets, epochs=cfg.epochs,
                            batch_size=cfg.batch_size, seed=rubric.seed + 2)
            mark = " <- rubric" if factor == 1.0 else ""
            print(f"{key:<14}{recipe.rule:<14}{str(list(recipe.hidden)):<10}{recipe.lr:>10.3g}"
                  f"{run.test_accuracy:>10.3f}{run.final_loss:>8.3f}{time.perf_counter() - started:>7.2f}{mark}")


if __name__ == "__main__":
    main()
