"""CMU 11-785 HW1P1 "MyTorch", autograder 3.0.x conventions (F23-F24, S25, S26 with Swish),
each release graded as its own autograder build grades it; facts from docs profiles.md and
docs/courses/mytorch-hw1p1.md. Everything about the assignment lives in this folder:

- layout.py     where each component lives, its names and shapes (data)
- v2.py         the 2.0.x release (S22-S23): fingerprints, its conventions, its hints
- v2_adapters.py  a 2.0.x student's values in 3.0.x units, so one set of checks grades both
- releases.py   which 3.0.x build (F23-F24, S25, S26) a folder was written for
- reference.py  the trusted implementation, in MyTorch's own conventions
- adapters.py   the student's objects seen in the grader's canonical shapes
- checking.py   comparisons at the precision and in the forms the course accepts (on top of
                grader/checks/expect.py)
- source.py     what the source says (np.tanh in Tanh.forward), read with ast
- signatures.py diagnoses only MyTorch has (running statistics, momentum, 2.0.x scale)
- training.py   the 784-64-10 network the grader assembles from the student's parts (trained
                by grader/training/runs.py)
- checks/       the pytest checks (with their conftest fixtures)
"""

from __future__ import annotations

from pathlib import Path

from grader.profiles.base import Profile
from grader.profiles.mytorch_hw1p1 import handout, layout, releases, v2

PROFILE = Profile(
    name="mytorch-hw1p1",
    title="CMU 11-785 HW1P1 MyTorch, autograders 3.0.x (F23-F24, S25, S26) and 2.0.x (S22-S23)",
    expects=("the handout folder with packages: mytorch/nn/{linear,activation,loss,batchnorm}.py, "
             "mytorch/optim/sgd.py, models/mlp.py; W (out, in), b (out, 1), dLdW/dLdb summed over "
             "the batch, one-hot labels, activation backward(dLdA), SGD(model, lr, momentum); 2.0.x "
             "handouts (S22-S23): activation backward() returning dA/dZ, dLdW/dLdb averaged"),
    modules=tuple(layout.MODULES.values()),
    # The earliest 2.0.1 handout's files are recognised too, to refuse it with a message.
    markers=("mytorch/nn/linear.py", "mytorch/nn/activation.py", "models/mlp.py", *v2.EARLY_FILES),
    checks_dir=Path(__file__).resolve().parent / "checks",
    rubric="mytorch-hw1p1",
    solution="tests/profiles/mytorch/solution",
    # scipy stays allowed: the handout's GELU may use scipy.special.erf.
    forbidden_imports=("torch", "tensorflow", "keras", "jax", "sklearn", "autograd", "cupy",
                       "mxnet", "theano", "chainer", "mlxtend", "pandas"),
    packages=True,
    # Loaded as the worker starts: the handout's activation.py imports it for GELU (~0.2 s).
    preload=("scipy.special",),
    vocabulary=layout.VOCABULARY,
    # The handout's gradient conventions: "3.0.x", or "2.0.x" (S22-S23, v2.py), implied by
    # the release graded; the adapters translate a 2.0.x submission into 3.0.x units.
    conventions={v2.API: v2.APIS},
    refuse=v2.refuse_early,
    # The semester's autograder build, from the folder's own files (releases.py); the rubric
    # may name one instead ([conventions] release).
    detect_release=releases.detect,
    releases=releases.RELEASES,
    # What the student writes, in the handout's order (the first-run report).
    handout_order=handout.order,
    # Checks of what no build of the course's autograder tests (|x| ~ 1e3, inputs edited in
    # place) are reported without costing points; the rubric's score_beyond_course prices them.
    beyond_course_points=False,
    # The grader drives the course's training batch by batch: heavier than the default's.
    training_cost=4.5,
)
