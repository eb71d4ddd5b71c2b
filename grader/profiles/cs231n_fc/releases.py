"""Which CS231n year and assignment a folder was written for, read from its own files.

The fully-connected material moved between the assignments over the years (checked against
the official handouts of 2018-2026):

- 2016-2020 assignment1: `classifiers/neural_net.py`, the old TwoLayerNet whose
  `loss(X, y=None, reg=0.0)` adds `reg * sum(W**2)`; no layers.py;
- 2016-2020 assignment2: everything else (layers, update rules, both nets, dropout,
  batchnorm, layernorm), TwoLayerNet and FullyConnectedNet both in fc_net.py;
- 2021-2024 assignment1: affine, ReLU, softmax/SVM losses and fc_net.TwoLayerNet only
  (`sgd` is given); assignment2: FullyConnectedNet, the other update rules, dropout and
  the normalisations, with the layers copied over from assignment1;
- 2025 on, assignment1: layers, TwoLayerNet, FullyConnectedNet and the update rules, and no
  SVM notebook; assignment2: dropout and the normalisations (and everything copied over).

Fingerprints, each a file the handout ships: assignment1 holds the k-NN/linear classifiers
(`classifiers/k_nearest_neighbor.py`, `knn.ipynb`), assignment2 the conv layers
(`fast_layers.py`, `im2col.py`, `ConvolutionalNetworks.ipynb`); which nets fc_net.py defines
tells the years apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.checks.framework import not_assigned
from grader.profiles.base import Release

#: Every graded component (the rubric's [components]).
ALL = frozenset({"affine", "relu", "losses", "dropout", "update-rules", "two-layer-net",
                 "fc-net", "batchnorm", "layernorm", "training", "neural-net"})

#: Files only the handout of assignment1 / assignment2 ships (relative to the folder).
ASSIGNMENT1_FILES = ("cs231n/classifiers/k_nearest_neighbor.py", "cs231n/classifiers/linear_svm.py",
                     "cs231n/classifiers/softmax.py", "knn.ipynb", "svm.ipynb", "softmax.ipynb",
                     "two_layer_net.ipynb", "features.ipynb")
ASSIGNMENT2_FILES = ("cs231n/fast_layers.py", "cs231n/im2col.py", "cs231n/classifiers/cnn.py",
                     "ConvolutionalNetworks.ipynb", "BatchNormalization.ipynb", "Dropout.ipynb")

#: Beyond-course checks that every year's notebooks do test, if indirectly: their numerical
#: gradient checks call relu_forward and softmax_loss again and again on the same x, so a
#: function that edits x in place fails them (dev set: AnirudhM1/CS231n-2022-Solutions'
#: softmax_loss, notebook error 0.33).
NOTEBOOK_TESTS = ("test_layers.py::test_relu_keeps_input", "test_layers.py::test_softmax_loss_keeps_input")

OLD_A1 = Release(
    "CS231n 2016-2020 assignment1",
    why="it holds classifiers/neural_net.py and no layers.py (the 2016-2020 assignment1)",
    assigned=frozenset({"neural-net"}))
OLD_A2 = Release(
    "CS231n 2016-2020 assignment2",
    why="fc_net.py defines TwoLayerNet and FullyConnectedNet and the folder holds none of "
        "assignment1's classifiers (the 2016-2020 assignment2)",
    assigned=ALL - {"neural-net"}, course_tests=NOTEBOOK_TESTS)
OLD_A2_2017 = Release(
    "CS231n 2017 assignment2",
    why="fc_net.py defines both nets and layers.py has no layernorm_forward (the 2017 "
        "assignment2, whose dropout_param['p'] is read from how dropout_forward behaves)",
    assigned=ALL - {"neural-net"}, conventions={"dropout_p": "detect"}, course_tests=NOTEBOOK_TESTS)
MID_A1 = Release(
    "CS231n 2021-2024 assignment1",
    why="fc_net.py defines TwoLayerNet only (the 2021-2024 assignment1: layers, losses and "
        "TwoLayerNet; FullyConnectedNet, the update rules, dropout and normalisation come in "
        "assignment2)",
    assigned=frozenset({"affine", "relu", "losses", "two-layer-net"}), course_tests=NOTEBOOK_TESTS)
MID_A2 = Release(
    "CS231n 2021-2024 assignment2",
    why="fc_net.py defines FullyConnectedNet only (the 2021-2024 assignment2; TwoLayerNet was "
        "assignment1's)",
    assigned=ALL - {"two-layer-net", "neural-net"}, course_tests=NOTEBOOK_TESTS)
NEW_A1 = Release(
    "CS231n 2025+ assignment1",
    why="assignment1's files with FullyConnectedNet in fc_net.py (2025 on: layers, both nets "
        "and the update rules; dropout and normalisation come in assignment2)",
    assigned=frozenset({"affine", "relu", "losses", "two-layer-net", "fc-net", "update-rules",
                        "training"}), course_tests=NOTEBOOK_TESTS)
NEW_A2 = Release(
    "CS231n 2025+ assignment2",
    why="assignment2's files with FullyConnectedNet only and no TwoLayerNet (2025 on: dropout "
        "and normalisation, on the layers copied over from assignment1)",
    assigned=ALL - {"two-layer-net", "neural-net"}, course_tests=NOTEBOOK_TESTS)
#: Nothing recognisable: every fully-connected part is graded, as before releases existed.
EVERYTHING = Release("CS231n fully-connected nets (all parts)",
                     why="no assignment's fingerprints found, so every part is graded",
                     assigned=ALL - {"neural-net"}, course_tests=NOTEBOOK_TESTS)

#: Releases whose notebooks never ask for svm_loss (2025 on), though layers.py keeps its stub.
WITHOUT_SVM = frozenset({NEW_A1.name, NEW_A2.name})

RELEASES = (OLD_A1, OLD_A2_2017, OLD_A2, MID_A1, MID_A2, NEW_A1, NEW_A2, EVERYTHING)


def _classes(path: Path) -> set[str]:
    text = path.read_text(errors="replace") if path.is_file() else ""
    return set(re.findall(r"^class\s+(\w+)", text, flags=re.MULTILINE))


def _any(folder: Path, names: tuple[str, ...]) -> bool:
    return any((folder / name).exists() for name in names)


def detect(folder: Path) -> Release:
    """The release `folder` (the one holding cs231n/) was written for."""
    package = folder / "cs231n"
    nets = _classes(package / "classifiers" / "fc_net.py")
    if (package / "classifiers" / "neural_net.py").is_file() and not (package / "layers.py").is_file():
        return OLD_A1
    first, second = _any(folder, ASSIGNMENT1_FILES), _any(folder, ASSIGNMENT2_FILES)
    if {"TwoLayerNet", "FullyConnectedNet"} <= nets:
        if first and not second:
            return NEW_A1
        layers = package / "layers.py"
        text = layers.read_text(errors="replace") if layers.is_file() else ""
        return OLD_A2 if "def layernorm_forward" in text else OLD_A2_2017
    if "TwoLayerNet" in nets:
        return MID_A1
    if "FullyConnectedNet" in nets:
        # The 2021-24 and 2025+ assignment2 grade the same parts; name the older only when the
        # notebooks say so (2025 dropped svm.ipynb from assignment1, which is not here).
        return MID_A2
    return EVERYTHING


def require_assigned(release, component: str, what: str) -> None:
    """A part of FullyConnectedNet that this year's assignment does not ask for yet (2025 on,
    assignment1: the net without dropout or normalisation) is not graded."""
    if release is not None and not release.assigns(component):
        not_assigned(f"{what} is not part of {release.name}")
