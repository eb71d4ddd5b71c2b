"""The default profile: grader's own "mlp" contract (docs: student-api.md), graded by
its checks/ folder exactly as before profiles existed. What is its own lives here:

- signatures.py  diagnoses only its checks use (softmax on logits of magnitude ~1000)
- network.py     the student's MLP beside the reference one built with the same weights
- localise.py    which layer of that MLP makes the network wrong (replayed layer by layer)
- checks/        the pytest checks (layers, losses, SGD, MLP, training on MNIST)

Two things it keeps where they were, because other code shares them: its trusted
implementation is the top-level `reference` package (the sandbox's import guard and
`grader bundle`'s smoke test name it), and its training loop is grader/training/session.py
(in the engine's training package, whose statistics and calibration MyTorch's and CS231n's
recipes use too).
"""

from __future__ import annotations

from pathlib import Path

from grader.profiles.base import Profile
from grader.sandbox import DEFAULT_FORBIDDEN

PROFILE = Profile(
    name="default",
    title="grader's own contract (assignment \"mlp\", version 1)",
    expects=("layers.py (Linear with W (in, out), b (out,), dW/db; ReLU, Sigmoid, Tanh), "
             "losses.py (softmax, SoftmaxCrossEntropy with integer labels, MSELoss), "
             "optim.py (SGD(layers, lr)), network.py (MLP, train) at the top of the folder"),
    modules=("layers", "losses", "optim", "network"),
    markers=("layers.py", "losses.py", "optim.py", "network.py"),
    checks_dir=Path(__file__).resolve().parent / "checks",
    rubric="default",
    solution="reference",
    # What a rubric without `forbidden_imports` forbids, as before profiles existed.
    forbidden_imports=tuple(DEFAULT_FORBIDDEN),
)
