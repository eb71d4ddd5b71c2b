"""The default profile: grader's own "mlp" contract (docs: student-api.md), graded by
its checks/ folder exactly as before profiles existed."""

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
