"""What a MyTorch HW1P1 student writes, in the handout's order (the first-run report).

Every build's autograder and writeup take the sections in one order: Linear, the activations,
the MLPs (MLP0, MLP1, MLP4), the losses, SGD, batch normalisation (docs/courses/mytorch-hw1p1.md).
2.0.x (S22-S23) has no GELU or Softmax; S26 adds Swish.
"""

from __future__ import annotations

from grader.profiles.base import HandoutStep, Release
from grader.profiles.mytorch_hw1p1 import layout, releases, v2


def _methods(*classes: str, names: tuple[str, ...] = ("forward", "backward")) -> tuple[str, ...]:
    return tuple(f"{cls}.{name}" for cls in classes for name in names)


def order(release: Release | None) -> tuple[HandoutStep, ...]:
    """The handout's steps for `release` (None: the 3.0.x F23-F24 handout)."""
    old = release is not None and release.conventions.get(v2.API, v2.V3_API) != v2.V3_API
    activations = ["Sigmoid", "Tanh", "ReLU"] + ([] if old else ["GELU", "Softmax"])
    if releases.has_swish(release):
        activations.append("Swish")
    # The 2.0.0 builds keep the MLPs in mytorch/models/ (v2.MODELS_MLP_FILE).
    mlp = "mytorch.models.mlp" if release is not None and release.name == v2.V2_MODELS.name \
        else layout.MODULES["mlp"]
    return (
        HandoutStep(layout.MODULES["linear"], _methods("Linear", names=("__init__", "forward", "backward")),
                    products={"Linear.__init__": ("W", "b")}),
        HandoutStep(layout.MODULES["activation"], _methods(*activations)),
        HandoutStep(mlp, _methods("MLP0", "MLP1", "MLP4", names=("__init__", "forward", "backward")),
                    products={f"{m}.__init__": ("layers",) for m in ("MLP0", "MLP1", "MLP4")}),
        HandoutStep(layout.MODULES["loss"], _methods("MSELoss", "CrossEntropyLoss")),
        HandoutStep(layout.MODULES["sgd"], ("SGD.step",)),
        HandoutStep(layout.MODULES["batchnorm"], _methods("BatchNorm1d")),
    )
