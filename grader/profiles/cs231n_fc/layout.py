"""Where CS231n's fully-connected components live and the course's conventions (profiles.md)."""

from __future__ import annotations

from pathlib import Path

#: component -> the module that defines it (inside the `cs231n` package, imported as the
#: notebooks do: `from cs231n.layers import *`).
MODULES: dict[str, str] = {
    "layers": "cs231n.layers",
    "layer_utils": "cs231n.layer_utils",
    "optim": "cs231n.optim",
    "fc_net": "cs231n.classifiers.fc_net",
    # 2016-2020 assignment1's TwoLayerNet (loss(X, y=None, reg=0.0)), graded as "neural-net".
    "neural_net": "cs231n.classifiers.neural_net",
}

#: Course files the student does not write, whose imports are never policed (2025 on
#: fast_layers.py imports torch); a missing one becomes a stand-in, so only what uses it fails.
PROVIDED_FILES: tuple[str, ...] = (
    "cs231n/fast_layers.py", "cs231n/im2col.py", "cs231n/solver.py", "cs231n/data_utils.py",
    "cs231n/gradient_check.py", "cs231n/vis_utils.py", "cs231n/layer_utils.py",
)

#: Update rules and the defaults each fills into `config` when a key is missing.
UPDATE_RULES: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}

#: Keyword of FullyConnectedNet's dropout, newest first: the keep ratio (2021 on), then
#: the 2017-2020 name (whose value is a keep probability from 2018 on).
DROPOUT_KEYWORDS: tuple[str, ...] = ("dropout_keep_ratio", "dropout")

#: FullyConnectedNet's normalisation -> the (keyword, value) each year spells it with, newest
#: first: normalization= (2019 on; layernorm exists only there), then use_batchnorm= (2017-2018).
NORMALIZATION_KEYWORDS: dict[str, tuple[tuple[str, object], ...]] = {
    "batchnorm": (("normalization", "batchnorm"), ("use_batchnorm", True)),
    "layernorm": (("normalization", "layernorm"),),
}

#: Conventions a rubric chooses in [conventions] (first = default). dropout_p: what
#: dropout_param["p"] (and the net's dropout keyword) means: "keep" (2018 on), "drop" (2017),
#: or "detect" (either, read from how dropout_forward behaves).
CONVENTIONS: dict[str, tuple[str, ...]] = {"dropout_p": ("keep", "drop", "detect")}

#: The grader's canonical words (in hints written once for every profile) -> CS231n's.
VOCABULARY: dict[str, str] = {
    "grad_out": "dout",
    "Linear.forward": "affine_forward",
    "Linear.backward": "affine_backward",
    "SGD(layers, lr)": "sgd(w, dw, config)",
}

#: Files the course provides (students do not edit them) -> why the grader cares.
PROVIDED: dict[str, str] = {
    "cs231n/layer_utils.py": "layer_utils",
    "cs231n/solver.py": "solver",
}


def missing_provided(folder: Path) -> list[str]:
    """A note per course-provided file `folder` lacks, saying whether grading needs it."""
    notes = []
    fc_net = folder / "cs231n" / "classifiers" / "fc_net.py"
    imports = fc_net.read_text(errors="replace") if fc_net.is_file() else ""
    for path, module in PROVIDED.items():
        if (folder / path).is_file():
            continue
        if module in imports:
            notes.append(f"{path} is missing and it matters: your classifiers/fc_net.py imports "
                         f"{module}, so the parts of TwoLayerNet and FullyConnectedNet that call "
                         "its functions fail (and training with them); put the course's file back "
                         "unchanged")
        elif module == "solver":
            notes.append(f"{path} is missing; it does not matter: the grader trains with its own "
                         "loop, never the Solver")
        else:
            notes.append(f"{path} is missing; it does not matter here: your fc_net.py does not "
                         f"import {module}")
    return notes
