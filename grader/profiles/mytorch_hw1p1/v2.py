"""MyTorch HW1P1 release 2.0.x (S22-S23, autograder 2.0.0 / 2.0.1): how to recognise it and
what its handout asks, as data the adapters and checks read.

What differs from 3.0.x (read in the official 2.0.1 autograder, docs/courses/mytorch-hw1p1.md):
- activations Identity, Sigmoid, Tanh, ReLU only (no GELU, no Softmax); `backward()` takes
  no argument and returns dA/dZ, which the MLP multiplies by dLdA itself;
- Linear's dLdW and dLdb are averaged over the batch (dLdZ.T @ A / N);
- MSELoss is SSE / (2 N C) with dLdA = (A - Y) / (N C); CrossEntropyLoss is the mean over N
  with dLdA = softmax(A) - Y (no 1/N: Linear's average supplies it);
- MLP0/1/4 keep `layers` (Linear only) and `f` (their ReLUs) apart; the autograder reads the
  debug attributes (dLdA0, or dLdA[0] for MLP4), not backward's return value.

The release is chosen from the submission's own files, read with `ast`/text on the grader's
side (never run): the autograder script's version line, the activations' backward arity,
the handout's MLP debug names. The adapters see it as the convention `api` = "2.0.x".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from grader.checks import diagnose as D
from grader.profiles.base import Release
from grader.results import Diagnosis

#: The [conventions] key the adapters and checks read, and its values (3.0.x first: default).
API = "api"
V3_API, V2_API = "3.0.x", "2.0.x"
#: The 2.0.0 / first 2.0.1 builds, whose handout keeps the MLPs in mytorch/models/: the same
#: conventions but MSELoss = SSE / (N C) with dLdA = A - Y (its autograder's 6.5 and A - Y).
V2_MODELS_API = "2.0.x mytorch.models"
APIS = (V3_API, V2_API, V2_MODELS_API)

V2 = Release(
    "MyTorch 2.0.x S22-S23",
    why="activation backward() takes no dLdA (the 2.0.x handout: dA/dZ returned, dLdW averaged "
        "over the batch, graded as the 2.0.1 autograder grades it)",
    conventions={API: V2_API}, absent=frozenset({"gelu", "softmax"}))
V2_MODELS = Release(
    "MyTorch 2.0.x mytorch/models",
    why="the 2.0.x handout with its MLPs in mytorch/models/ (the 2.0.0 and first 2.0.1 builds: "
        "MSELoss = SSE / (N C) with dLdA = A - Y)",
    conventions={API: V2_MODELS_API}, absent=V2.absent)

ACTIVATION_FILE = "mytorch/nn/activation.py"
MLP_FILE = "models/mlp.py"
LINEAR_FILE = "mytorch/nn/linear.py"
#: Where the handout ships its autograder (the file name some students renamed is not known).
AUTOGRADER_FILES = ("hw1p1_autograder.py", "autograder/hw1p1_autograder.py")
_ELEMENTWISE = ("Identity", "Sigmoid", "Tanh", "ReLU")
#: The 2.0.x activations: GELU and Softmax came with 3.0.x.
ACTIVATIONS = _ELEMENTWISE
#: Debug names only the 2.0.x MLPs keep (3.0.x keeps Z0, A1, dLdZ0, dLdA0 only).
_MLP_NAMES = re.compile(r"\bdA1dZ0\b|\bself\.f\s*=")
_LINEAR_NAMES = re.compile(r"\bself\.dZdA\b")
_VERSION = re.compile(r"""autograder_version\s*=\s*['"](\d+)\.""")


MODELS_MLP_FILE = "mytorch/models/mlp.py"


def is_v2(api: str) -> bool:
    return api in (V2_API, V2_MODELS_API)


def mse_is_early(api: str) -> bool:
    """Whether MSELoss follows the mytorch/models builds (SSE / (N C), dLdA = A - Y)."""
    return api == V2_MODELS_API


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def backward_arities(source: str) -> dict[str, int]:
    """class name -> number of parameters of its `backward` besides self (classes that have one)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    arities: dict[str, int] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "backward":
                args = item.args
                if args.vararg is not None:
                    continue  # backward(self, *args) could be either
                arities[node.name] = len(args.posonlyargs) + len(args.args) - 1
    return arities


def autograder_major(folder: Path) -> int | None:
    """The major version the folder's own copy of the course's autograder declares, if any."""
    for name in AUTOGRADER_FILES:
        found = _VERSION.search(_read(folder / name))
        if found:
            return int(found.group(1))
    return None


def detect(folder: Path) -> Release | None:
    """V2 or V2_MODELS (MLPs in mytorch/models/ rather than models/), or None (see `_detect`)."""
    found = _detect(folder)
    if found is not None and (folder / MODELS_MLP_FILE).is_file() and not (folder / MLP_FILE).is_file():
        clue = found.why.split(" (the 2.0.x handout")[0]
        return Release(V2_MODELS.name, why=f"{clue}, and the MLPs are in {MODELS_MLP_FILE} (the "
                       "2.0.0 and first 2.0.1 builds: MSELoss = SSE / (N C) with dLdA = A - Y)",
                       conventions=V2_MODELS.conventions, absent=V2_MODELS.absent)
    return found


def _detect(folder: Path) -> Release | None:
    """V2 (with the fingerprint that chose it) when `folder` was written for a 2.0.x handout,
    else None. The course's autograder version decides when present; then the activations'
    backward arity when they agree (none takes dLdA: 2.0.x; all do: 3.0.x); when they are
    mixed (one written in the other release's way) or stubs without methods, the handout's
    own names in models/mlp.py and linear.py decide."""
    major = autograder_major(folder)
    if major is not None:
        return _v2(f"{AUTOGRADER_FILES[0]} declares autograder_version 2.x") if major == 2 else None
    arities = backward_arities(_read(folder / ACTIVATION_FILE))
    elementwise = [arities[name] for name in _ELEMENTWISE if name in arities]
    if elementwise and all(n == 0 for n in elementwise):
        return V2
    if elementwise and all(n >= 1 for n in elementwise):
        return None
    mlp = MLP_FILE if (folder / MLP_FILE).is_file() else MODELS_MLP_FILE
    if _MLP_NAMES.search(_read(folder / mlp)):
        return _v2(f"{mlp} keeps the 2.0.x handout's names (dA1dZ0, the ReLU list self.f)")
    if _LINEAR_NAMES.search(_read(folder / LINEAR_FILE)):
        return _v2(f"{LINEAR_FILE} keeps the 2.0.x handout's debug names (dZdA, dZdW, dZdb)")
    return None


def _v2(clue: str) -> Release:
    return Release(V2.name, why=f"{clue} (the 2.0.x handout: dA/dZ returned, dLdW averaged over "
                   "the batch, graded as the 2.0.1 autograder grades it)",
                   assigned=V2.assigned, conventions=V2.conventions, absent=V2.absent)


# -- the earliest 2.0.1 handout: another layout, refused with a message -----------------------
#: Files only the earliest 2.0.1 handout has (its MLPs in mytorch/models/hw1.py, its layers in
#: mytorch/nn/modules/; its MSELoss is SSE / (N C) with dLdA = A - Y, its SGD test plain).
EARLY_FILES = ("mytorch/nn/modules/linear.py", "mytorch/models/hw1.py")


def refuse_early(folder: Path) -> str | None:
    """The one-line refusal for the earliest 2.0.1 layout, or None."""
    if any((folder / name).is_file() for name in EARLY_FILES) and not (folder / LINEAR_FILE).is_file():
        return (f"{folder} is the earliest 2.0.1 MyTorch handout (mytorch/nn/modules/*.py, "
                "mytorch/models/hw1.py), which grader does not grade; move each class into "
                "mytorch/nn/<linear,activation,loss,batchnorm>.py and the MLPs into models/mlp.py "
                "to grade it as 2.0.x (whose MSELoss is SSE / (2 N C)), or grade it by hand")
    return None


# -- what the 2.0.x handout says, for hints -------------------------------------------------
#: Formulas in the 2.0.x handout's units (the adapters compare in 3.0.x units, see v2_adapters).
FORMULAS = {
    "Linear.dLdW": "dLdW = dLdZ.T @ A / N (averaged over the batch in 2.0.x)",
    "Linear.dLdb": "dLdb = dLdZ.T @ ones((N, 1)) / N (averaged over the batch in 2.0.x)",
    "MSELoss.forward": "L = sum((A - Y) ** 2) / (2 * N * C) (the 2.0.1 handout)",
    "MSELoss.backward": "dLdA = (A - Y) / (N * C) (the 2.0.1 handout)",
    "MSELoss.forward early": "L = sum((A - Y) ** 2) / (N * C) (the mytorch/models handout)",
    "MSELoss.backward early": "dLdA = A - Y (the mytorch/models handout's autograder)",
    "CrossEntropyLoss.forward": "L = mean over N of -sum(Y * log softmax(A), axis=1)",
    "CrossEntropyLoss.backward": "dLdA = softmax(A) - Y (2.0.x: no 1/N here, Linear averages)",
    "activation.backward": "backward() returns dA/dZ; the MLP multiplies it by dLdA",
}

SUMMED = ("{what} is summed over the batch (the 3.0.x convention), but the 2.0.x handout "
          "averages it: dLdW = dLdZ.T @ A / N and dLdb = dLdZ.T @ ones((N, 1)) / N "
          "(its losses' gradients carry no 1/N)")
TWICE = ("{what} is divided by N twice: the 2.0.x handout averages dLdW and dLdb over the batch "
         "once (dLdZ.T @ A / N)")


def linear_scale_signature(actual: object, expected: object, *, what: str, n: int) -> Diagnosis | None:
    """A Linear gradient in 3.0.x units (the adapter multiplied the student's by N) that is N
    times the truth: the student summed, as 3.0.x does; 1/N: averaged twice."""
    return D.scale_signature(actual, expected, what=what, n=n,
                             advice={"N": SUMMED.format(what=what), "1/N": TWICE.format(what=what)})


def v3_activation_signature(name: str) -> Diagnosis:
    """An activation whose backward wants dLdA in a 2.0.x handout."""
    return D.diagnosis("missing-api", f"{name}.backward requires dLdA: that is the 3.0.x "
                       "handout's convention; in the 2.0.x handout backward() takes no argument "
                       "and returns dA/dZ (the MLP multiplies it by dLdA)")


def not_in_release(name: str) -> str:
    """The not-assigned reason for an activation the 2.0.x handout does not have."""
    return f"the 2.0.x handout has no {name} (Identity, Sigmoid, Tanh and ReLU only)"
