"""Which MyTorch HW1P1 release (semester) a folder was written for, read from its own files.

The course's official autograder (hw1p1_autograder.py) came in several builds, each graded
against its own handout (docs/courses/mytorch-hw1p1.md has the table of what each calls and
accepts):

- 3.0.1, F23-F24: the autograder at the handout's root; no stability test, np.tanh allowed;
- 3.0.1, S25: the autograder moved into autograder/; it adds a Softmax test at |Z| ~ 1e3-1e4
  (forward and backward) and forbids np.tanh in Tanh (the writeup asks for exp);
- 3.0.1 + Swish, S26: the S25 build with a Swish activation (learnable beta) added.

Fingerprints, from the handout's own lines (students rarely delete them): the S25 Softmax
stub's "How can we handle large overflow values?" note, an autograder/ folder beside mytorch/
(where the S25 build ships its script), and a `Swish` class in activation.py (S26). The
2.0.x handouts (S22-S23) are told apart first, by v2.py (its autograder's version line,
activation backward() with no dLdA, the MLPs' 2.0.x debug names).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from grader.profiles.base import Release
from grader.profiles.mytorch_hw1p1 import v2

ACTIVATION_FILE = "mytorch/nn/activation.py"
#: Where the S25 and S26 handouts ship the autograder (F23-F24: at the folder's root).
SUBDIR_AUTOGRADER = "autograder/hw1p1_autograder.py"
#: The S25 handout's Softmax stub asks for stability in these words (kept in S26).
S25_STUB_NOTE = "How can we handle large overflow values"

#: Checks the S25 build's own tests do test (Softmax at |Z| ~ 1e3, forward and backward; no
#: np.tanh in Tanh): beyond the course in F23-F24, scored in S25 and S26.
SOFTMAX_STABILITY = ("test_activations.py::test_large_inputs[Softmax]",
                     "test_activations.py::test_backward_large_inputs[Softmax]",
                     "test_activations.py::test_tanh_without_np_tanh")

V3 = Release(
    "MyTorch 3.0.x F23-F24",
    why="activation backward(dLdA) returns dLdZ and the handout has neither the S25 Softmax "
        "stability note nor an autograder/ folder (the 3.0.1 autograder at the handout's root)")
S25 = Release(
    "MyTorch 3.0.x S25",
    why="the S25 handout (the S25 build of the 3.0.1 autograder: it also tests Softmax at "
        "|Z| ~ 1e3 and forbids np.tanh in Tanh)",
    course_tests=SOFTMAX_STABILITY)
S26 = Release(
    "MyTorch 3.0.x S26 (Swish)",
    why="activation.py defines Swish (the S26 build: the S25 autograder plus Swish with a "
        "learnable beta)",
    course_tests=SOFTMAX_STABILITY + ("test_activations.py::test_swish",))

RELEASES = (V3, S25, S26, v2.V2, v2.V2_MODELS)

#: Releases whose autograder fails a Tanh that calls np.tanh (the writeup asks for exp).
FORBIDS_NP_TANH = frozenset({S25.name, S26.name})
#: Releases whose handout has the Swish activation.
HAS_SWISH = frozenset({S26.name})


def forbids_np_tanh(release: Release | None) -> bool:
    return release is not None and release.name in FORBIDS_NP_TANH


def has_swish(release: Release | None) -> bool:
    return release is not None and release.name in HAS_SWISH


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def detect(folder: Path) -> Release:
    """The release `folder` (the one holding mytorch/ and models/) was written for."""
    legacy = v2.detect(folder)
    if legacy is not None:
        return legacy
    activation = _read(folder / ACTIVATION_FILE)
    if re.search(r"^class\s+Swish\b", activation, flags=re.MULTILINE):
        return S26
    clues = []
    if S25_STUB_NOTE in activation:
        clues.append("the Softmax stub asks how to handle large overflow values")
    if (folder / SUBDIR_AUTOGRADER).is_file():
        clues.append("the autograder lives in autograder/")
    if clues:
        return dataclasses.replace(S25, why=" and ".join(clues) + S25.why.removeprefix("the S25 handout"))
    return V3
