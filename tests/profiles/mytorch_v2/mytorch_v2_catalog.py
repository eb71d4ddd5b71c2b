"""MyTorch 2.0.x fixtures (S22-S23 handout): buggy and correct variants of the 2.0.x solution
in tests/profiles/mytorch_v2/solution, written here in that handout's conventions (activation
backward() returns dA/dZ, dLdW averaged over the batch, MSE / (2 N C), cross-entropy gradient
without 1/N, MLPs keeping `layers` and `f` apart).

Same shapes as tests/profiles/mytorch/mytorch_catalog.py: a `Mutant` must lose points on a
check of component `tag` with diagnosis `diagnosis`; `missed` says the 2.0.1 autograder's own
tests pass it (the report must say the course misses it). A `Variant` gets full marks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mytorch"))

from mytorch_catalog import Edits, materialize as _materialize, one  # noqa: E402

SOLUTION = Path(__file__).resolve().parent / "solution"
STUB = Path(__file__).resolve().parent / "stub"

L, A, S = "mytorch/nn/linear.py", "mytorch/nn/activation.py", "mytorch/nn/loss.py"
O, M = "mytorch/optim/sgd.py", "models/mlp.py"
MODELS = ["mlp0", "mlp1", "mlp4"]
AFFECTS = {L: ["linear", *MODELS, "training"], A: ["activations", *MODELS, "training"],
           S: ["losses", "training"], O: ["sgd", "training"], M: MODELS}


@dataclass(frozen=True)
class Mutant:
    name: str
    edits: Edits
    tag: str
    diagnosis: str
    bug: str
    missed: bool = False  # the 2.0.1 autograder's own test of this component passes it


@dataclass(frozen=True)
class Variant:
    name: str
    edits: Edits
    style: str

    @property
    def tags(self) -> list[str]:
        return sorted({tag for file, _ in self.edits for tag in AFFECTS[file]})


def materialize(dest: Path, edits: Edits = (), *, solution: Path = SOLUTION) -> Path:
    return _materialize(dest, edits, solution=solution)


AVG_W = "self.dLdW = dLdW / self.N"
AVG_B = "self.dLdb = dLdb / self.N"
SIGMOID_BACK = "    def backward(self):\n        return self.A * (1.0 - self.A)"
MSE_FWD = "return float(sse[0, 0]) / (2 * self.N * self.C)"
MSE_BACK = "return (self.A - self.Y) / (self.N * self.C)"
CE_BACK = "return self.softmax - self.Y"
MLP0_CHAIN = "dLdZ0 = dLdA1 * dA1dZ0\n        dLdA0 = self.layers[0].backward(dLdZ0)\n        if self.debug:\n            self.dA1dZ0, self.dLdZ0, self.dLdA0 = dA1dZ0, dLdZ0, dLdA0\n        return dLdA0\n\n\nclass MLP1"
SGD_VW = "self.v_W[i] = self.mu * self.v_W[i] + self.l[i].dLdW"
SGD_STEP_W = "self.l[i].W = self.l[i].W - self.lr * self.v_W[i]"

MUTANTS: tuple[Mutant, ...] = (
    # The 3.0.x convention written into a 2.0.x handout.
    Mutant("linear-summed-not-averaged", ((L, ((AVG_W, "self.dLdW = dLdW"), (AVG_B, "self.dLdb = dLdb"))),),
           "linear", "gradient-scale", "dLdW and dLdb summed over the batch (the 3.0.x convention)",
           missed=True),  # by the course's Linear section (Z, dLdA only); its MLP sections catch it
    Mutant("sigmoid-takes-dLdA", one(A, SIGMOID_BACK,
                                     "    def backward(self, dLdA):\n        return dLdA * self.A * (1.0 - self.A)"),
           "activations", "missing-api", "Sigmoid.backward(dLdA) (the 3.0.x convention)"),
    Mutant("cross-entropy-over-N", one(S, CE_BACK, "return (self.softmax - self.Y) / self.A.shape[0]"),
           "losses", "gradient-scale", "cross-entropy gradient divided by N (the 3.0.x convention)"),
    Mutant("mse-3-0-form", ((S, ((MSE_FWD, "return float(sse[0, 0]) / (self.N * self.C)"),
                                 (MSE_BACK, "return 2 * (self.A - self.Y) / (self.N * self.C)"))),),
           "losses", "wrong-forward", "MSE as SSE / (N C) (the 3.0.x handout's)"),
    # Averaging done twice, and other 2.0.x slips.
    Mutant("linear-dZdA-not-transposed", one(L, "self.dZdA = dZdA", "self.dZdA = self.W"), "linear",
           "wrong-gradient", "the debug dZdA kept as W, not W.T (dLdA computed from it stays right)"),
    Mutant("mlp4-debug-list-reversed", one(M, "self.dLdZ.insert(0, dLdZ)", "self.dLdZ.append(dLdZ)"),
           "mlp4", "wrong-gradient", "MLP4 keeps its dLdZ list last layer first (the autograder "
           "reads dLdZ[0] as the first layer's)"),
    Mutant("linear-averaged-twice", one(L, AVG_W, "self.dLdW = dLdW / self.N / self.N"),
           "linear", "gradient-scale", "dLdW divided by N twice", missed=True),
    Mutant("mlp0-forgets-relu-derivative", one(M, MLP0_CHAIN, MLP0_CHAIN.replace("dLdA1 * dA1dZ0", "dLdA1", 1)), "mlp0",
           "wrong-gradient", "MLP0.backward never multiplies by dA1/dZ0"),
    Mutant("relu-derivative-is-A", one(A, "return (self.A > 0).astype(float)", "return self.A"),
           "activations", "wrong-gradient", "ReLU backward returns A instead of 0/1"),
    Mutant("mse-precedence-slip", one(S, MSE_BACK, "return (self.A - self.Y) / self.N * self.C / 4"),
           "losses", "gradient-scale", "(A - Y) / N * C / 4: right for the course's C = 2 only",
           missed=True),
    Mutant("momentum-shares-first-velocity",
           ((O, ((SGD_VW, "self.v_W[i] = self.mu * self.v_W[0] + self.l[i].dLdW"),
                 (SGD_STEP_W, "self.l[i].W = self.l[i].W - self.lr * self.v_W[0]"))),),
           "sgd", "momentum-state", "every layer moved by the first layer's velocity", missed=True),
)

VARIANTS: tuple[Variant, ...] = (
    # The 2.0.1 autograder reads the debug dLdA0 / dLdA[0], never backward's return value.
    Variant("mlps-return-nothing", ((M, (("        return dLdA0\n\n\nclass MLP1", "\n\nclass MLP1"),
                                         ("            self.dLdA.insert(0, dLdA)\n        return dLdA",
                                          "            self.dLdA.insert(0, dLdA)"))),),
            "MLP backward returning nothing (the debug attributes hold dLdA0)"),
    Variant("relu-derivative-as-bools", one(A, "return (self.A > 0).astype(float)", "return self.A > 0"),
            "ReLU's dA/dZ as booleans (the course multiplies them)"),
)
