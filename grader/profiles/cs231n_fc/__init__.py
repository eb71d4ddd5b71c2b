"""Stanford CS231n, the fully-connected nets assignment (2018 on, and 2017 under the rubric's
[conventions]); facts from docs profiles.md. Everything about the assignment lives in this folder:

- layout.py     where each component lives, update-rule defaults, year keywords (data)
- reference.py  the trusted implementation, in the course's conventions
- conventions.py  what dropout's p means in the year graded (rubric [conventions] dropout_p)
- training.py   the training recipes: every update rule, and a deeper net
- update_forms.py  the update steps the course accepts (Adam's t from 0 or 1, RMSProp's eps)
- adapters.py   the student's functions through the sandbox; caches stay in the worker
- signatures.py batchnorm/layernorm failure signatures in the course's names
- checks/       the pytest checks (layers, dropout, normalisation, update rules, nets)
"""

from __future__ import annotations

from pathlib import Path

from grader.profiles.base import Profile
from grader.profiles.cs231n_fc import handout, layout, releases

PROFILE = Profile(
    name="cs231n-fc",
    title="Stanford CS231n fully-connected nets, 2016-2026, assignment1 and assignment2",
    expects=("the assignment folder holding the package cs231n/ (or that package folder "
             "itself): layers.py (affine, relu, softmax_loss, dropout, batchnorm and layernorm "
             "when the year has them; forward -> (out, cache)), optim.py (sgd, sgd_momentum, "
             "rmsprop, adam), classifiers/fc_net.py (TwoLayerNet, FullyConnectedNet); "
             "weights (in, out), biases (out,), mean losses, integer labels"),
    modules=tuple(layout.MODULES.values()),
    markers=("cs231n/layers.py", "cs231n/classifiers/fc_net.py", "cs231n/classifiers/neural_net.py"),
    checks_dir=Path(__file__).resolve().parent / "checks",
    rubric="cs231n-fc",
    solution="tests/profiles/cs231n/solution",
    forbidden_imports=("torch", "tensorflow", "keras", "jax", "sklearn", "autograd", "cupy",
                       "mxnet", "theano", "chainer", "mlxtend", "pandas"),
    packages=True,
    vocabulary=layout.VOCABULARY,
    conventions=layout.CONVENTIONS,
    missing=layout.missing_provided,
    # The year and assignment, from the folder's own files (releases.py): only what it assigns
    # is graded; the rubric may name one instead ([conventions] release).
    detect_release=releases.detect,
    releases=releases.RELEASES,
    # What the student writes, in the handout's order (the first-run report).
    handout_order=handout.order,
    # Course code the student does not write: fast_layers.py imports torch in 2025 on.
    provided_files=layout.PROVIDED_FILES,
    # Every year's handout writes these lines itself (2021-24 assignment1: past.builtins).
    handout_imports=("builtins", "__future__", "past.builtins", "future"),
    numpy_compat=("reshape-newshape",),
    beyond_course_points=False,
    # The grader drives the course's training batch by batch: heavier than the default's.
    training_cost=4.5,
)
