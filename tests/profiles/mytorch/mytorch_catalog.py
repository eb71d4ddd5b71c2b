"""MyTorch fixtures: buggy variants, correct variants and broken layouts, all as small source
edits of the correct solution in tests/profiles/mytorch/solution (written here, in the
3.0.x handout's conventions).

`Mutant`: (old, new) edits of one file; each `old` occurs exactly once (checked when
materialised). It must lose points on a check whose first tag is `tag`, with diagnosis
`diagnosis`. `Variant`: a correct solution written differently; full marks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

SOLUTION = Path(__file__).resolve().parent / "solution"

L, A, S, B = "mytorch/nn/linear.py", "mytorch/nn/activation.py", "mytorch/nn/loss.py", "mytorch/nn/batchnorm.py"
O, M = "mytorch/optim/sgd.py", "models/mlp.py"

MODELS = ["mlp0", "mlp1", "mlp4"]
AFFECTS = {L: ["linear", *MODELS, "training"], A: ["activations", *MODELS, "training"],
           S: ["losses", "training"], B: ["batchnorm"], O: ["sgd", "training"], M: MODELS}

Edits = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # ((file, ((old, new), ...)), ...)


@dataclass(frozen=True)
class Mutant:
    name: str
    edits: Edits
    tag: str
    diagnosis: str
    bug: str


@dataclass(frozen=True)
class Variant:
    name: str
    edits: Edits
    style: str

    @property
    def tags(self) -> list[str]:
        """The components its edited files can affect (graded on those only, to stay fast)."""
        return sorted({tag for file, _ in self.edits for tag in AFFECTS[file]})


def one(file: str, old: str, new: str) -> Edits:
    return ((file, ((old, new),)),)


def materialize(dest: Path, edits: Edits = (), removed: tuple[str, ...] = (), *,
                solution: Path = SOLUTION) -> Path:
    """A copy of `solution` with `edits` applied and the `removed` files deleted."""
    shutil.copytree(solution, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for file, pairs in edits:
        text = (dest / file).read_text()
        for old, new in pairs:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{dest.name}/{file}: {old!r} occurs {count} times, expected once")
            text = text.replace(old, new)
        (dest / file).write_text(text)
    for file in removed:
        (dest / file).unlink()
    return dest


LIN_Z = "Z = self.A @ self.W.T + self.Ones @ self.b.T"
LIN_DW = "self.dLdW = dLdZ.T @ self.A"
LIN_DB = "self.dLdb = dLdZ.T @ self.Ones"
RELU_D = "dAdZ = np.where(self.A > 0, 1.0, 0.0)"
SOFTMAX_SHIFT = "shifted = Z - np.max(Z, axis=1, keepdims=True)"
CE_SHIFT = "shifted = A - np.max(A, axis=1, keepdims=True)"
SGD_W = "self.l[i].W = self.l[i].W - self.lr * self.l[i].dLdW"
SGD_VW = "self.v_W[i] = self.mu * self.v_W[i] + self.l[i].dLdW"
BN_RM = "self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M"
BN_RV = "self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V"
GELU_D = "dAdZ = 0.5 * (1 + erf(Z / np.sqrt(2))) + Z / np.sqrt(2 * np.pi) * np.exp(-Z * Z / 2)"

MUTANTS: tuple[Mutant, ...] = (
    # -- Linear -------------------------------------------------------------------------
    Mutant("linear-no-bias", one(L, LIN_Z, "Z = self.A @ self.W.T"), "linear", "wrong-forward",
           "forward forgets the bias"),
    Mutant("linear-dLdW-over-N", one(L, LIN_DW, LIN_DW + " / self.N"), "linear", "gradient-scale",
           "dLdW divided by N (the 2.0.x convention)"),
    Mutant("linear-dLdb-not-summed", one(L, LIN_DB, "self.dLdb = dLdZ.T"), "linear",
           "bias-gradient-not-summed", "dLdb keeps the batch axis"),
    Mutant("linear-dLdb-flat", one(L, LIN_DB, "self.dLdb = np.sum(dLdZ, axis=0)"), "linear",
           "shape-mismatch", "dLdb of shape (out,) instead of (out, 1)"),
    Mutant("linear-dLdW-transposed", one(L, LIN_DW, "self.dLdW = self.A.T @ dLdZ"), "linear",
           "shape-mismatch", "dLdW in the (in, out) layout"),
    Mutant("linear-dLdW-accumulates", one(L, LIN_DW, "self.dLdW = getattr(self, 'dLdW', 0) + dLdZ.T @ self.A"),
           "linear", "stale-gradient", "dLdW += across backward calls"),
    Mutant("linear-mutates-input", one(L, "self.A = A\n", "self.A = A.copy()\n        A[...] = 0.0\n"),
           "linear", "input-mutation", "forward zeroes the caller's array after caching a copy"),
    Mutant("linear-centres-batch", one(L, LIN_Z, "Z = (self.A - self.A.mean(axis=0)) @ self.W.T + self.Ones @ self.b.T"),
           "linear", "batch-dependence", "forward centres the batch"),
    Mutant("linear-no-debug-keyword", ((L, (("def __init__(self, in_features, out_features, debug=False):",
                                              "def __init__(self, in_features, out_features):"),
                                             ("self.debug = debug", "self.debug = False"))),),
           "linear", "missing-api", "Linear without the debug keyword"),
    # -- activations ----------------------------------------------------------------------
    Mutant("relu-mask-on-gradient", one(A, RELU_D, "dAdZ = np.where(dLdA > 0, 1.0, 0.0)"), "activations",
           "relu-mask", "ReLU backward gates on dLdA"),
    Mutant("sigmoid-derivative-twice", one(A, "dAdZ = self.A - self.A * self.A",
                                           "s = 1.0 / (1.0 + np.exp(-self.A))\n        dAdZ = s - s * s"),
           "activations", "activation-derivative-applied-twice", "sigmoid' at sigmoid(A)"),
    Mutant("tanh-derivative-twice", one(A, "dAdZ = 1 - self.A * self.A", "dAdZ = 1 - np.tanh(self.A) ** 2"),
           "activations", "activation-derivative-applied-twice", "tanh' at tanh(A)"),
    Mutant("sigmoid-overflow", one(A, "self.A = 1.0 / (1.0 + np.exp(-Z))", "self.A = np.exp(Z) / (1.0 + np.exp(Z))"),
           "activations", "wrong-forward", "exp of large positive inputs (an overflow, not softmax's)"),
    Mutant("softmax-no-max", ((A, ((SOFTMAX_SHIFT, "shifted = Z"),)),), "activations", "softmax-overflow",
           "softmax without max subtraction"),
    Mutant("softmax-axis-0", one(A, "self.A = expZ / np.sum(expZ, axis=1, keepdims=True)",
                                 "self.A = expZ / np.sum(expZ, axis=0, keepdims=True)"),
           "activations", "softmax-axis", "softmax normalised over the batch"),
    Mutant("softmax-diagonal-jacobian", one(A, "J = np.diag(a) - np.outer(a, a)", "J = np.diag(a * (1 - a))"),
           "activations", "wrong-gradient", "softmax backward with the Jacobian's diagonal only"),
    Mutant("gelu-half-derivative", one(A, GELU_D, "dAdZ = 0.5 * (1 + erf(Z / np.sqrt(2)))"), "activations",
           "wrong-gradient", "GELU backward drops the pdf term"),
    Mutant("gelu-tanh-approximation", one(A, "self.A = 0.5 * Z * (1 + erf(Z / np.sqrt(2)))",
                                          "self.A = 0.5 * Z * (1 + np.tanh(np.sqrt(2 / np.pi) * (Z + 0.044715 * Z ** 3)))"),
           "activations", "wrong-forward", "GELU forward is the tanh approximation"),
    Mutant("identity-backward-zero", one(A, 'dAdZ = np.ones(self.A.shape, dtype="f")', "dAdZ = np.zeros(self.A.shape)"),
           "activations", "wrong-gradient", "Identity backward returns zeros"),
    Mutant("relu-backward-no-argument", one(A, "    def backward(self, dLdA):\n        " + RELU_D,
                                            "    def backward(self):\n        dLdA = 1.0\n        " + RELU_D),
           "activations", "missing-api", "one activation keeps the 2.0.x backward()"),
    Mutant("relu-mutates-input", one(A, "self.A = np.maximum(0, Z)", "self.A = np.maximum(0, Z, out=Z)"),
           "activations", "input-mutation", "ReLU forward overwrites Z"),
    # -- losses -----------------------------------------------------------------------------
    Mutant("mse-over-N", one(S, "mse = sse / (self.N * self.C)", "mse = sse / self.N"), "losses",
           "loss-reduction", "MSE divided by N only"),
    Mutant("mse-gradient-no-2", one(S, "dLdA = 2 * (self.A - self.Y) / (self.N * self.C)",
                                    "dLdA = (self.A - self.Y) / (self.N * self.C)"),
           "losses", "gradient-scale", "MSE gradient without the 2"),
    Mutant("ce-summed", one(S, "L = np.sum(crossentropy) / N", "L = np.sum(crossentropy)"), "losses",
           "loss-reduction", "cross-entropy summed over the batch"),
    Mutant("ce-gradient-no-N", one(S, "dLdA = (self.softmax - self.Y) / N", "dLdA = self.softmax - self.Y"),
           "losses", "gradient-scale", "cross-entropy gradient without 1/N (2.0.x)"),
    Mutant("ce-overflow", one(S, CE_SHIFT, "shifted = A"), "losses", "softmax-overflow",
           "cross-entropy without max subtraction"),
    Mutant("ce-double-softmax", one(S, "crossentropy = -np.sum(Y * log_softmax, axis=1)",
                                    "q = np.exp(self.softmax) / np.sum(np.exp(self.softmax), axis=1, keepdims=True)\n"
                                    "        crossentropy = -np.sum(Y * np.log(q), axis=1)"),
           "losses", "double-softmax", "softmax applied to probabilities"),
    Mutant("ce-backward-mutates-cache", one(S, "dLdA = (self.softmax - self.Y) / N",
                                            "self.softmax -= self.Y\n        dLdA = self.softmax / N"),
           "losses", "input-mutation", "backward edits the cached softmax"),
    # -- SGD --------------------------------------------------------------------------------
    Mutant("sgd-ascent", one(O, SGD_W, "self.l[i].W = self.l[i].W + self.lr * self.l[i].dLdW"), "sgd",
           "optimizer-direction", "W += lr dLdW"),
    Mutant("sgd-skips-bias", one(O, "self.l[i].b = self.l[i].b - self.lr * self.l[i].dLdb",
                                 "self.l[i].b = self.l[i].b"), "sgd", "optimizer-skips-parameters",
           "b never updated"),
    Mutant("sgd-first-layer-only", one(O, "for i in range(self.L):", "for i in range(1):"), "sgd",
           "optimizer-skips-parameters", "only the first layer updated"),
    Mutant("sgd-velocity-reset", one(O, SGD_VW, "self.v_W[i] = self.mu * 0 + self.l[i].dLdW"), "sgd",
           "momentum-state", "velocity not carried between steps"),
    Mutant("sgd-momentum-lr-twice", one(O, SGD_VW, "self.v_W[i] = self.mu * self.v_W[i] + self.lr * self.l[i].dLdW"),
           "sgd", "optimizer-update", "lr inside the velocity and in the step"),
    # -- BatchNorm1d -------------------------------------------------------------------------
    Mutant("bn-unbiased-variance", one(B, "self.V = np.var(Z, axis=0, keepdims=True)",
                                       "self.V = np.var(Z, axis=0, keepdims=True, ddof=1)"),
           "batchnorm", "wrong-forward", "unbiased batch variance"),
    Mutant("bn-running-not-updated", ((B, ((BN_RM, "pass"), (BN_RV, "pass"))),), "batchnorm",
           "running-statistics", "running statistics never updated"),
    Mutant("bn-alpha-swapped", one(B, BN_RM, "self.running_M = (1 - self.alpha) * self.running_M + self.alpha * self.M"),
           "batchnorm", "running-statistics", "alpha weighs the batch"),
    Mutant("bn-eval-uses-batch", one(B, "NZ = (Z - self.running_M) / np.sqrt(self.running_V + self.eps)",
                                     "NZ = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + self.eps)"),
           "batchnorm", "eval-mode", "eval mode normalises with the batch"),
    Mutant("bn-dLdBW-not-summed", one(B, "self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)",
                                      "self.dLdBW = dLdBZ * self.NZ"),
           "batchnorm", "bias-gradient-not-summed", "dLdBW keeps the batch axis"),
    Mutant("bn-backward-no-statistics", one(B, "dLdZ = dLdNZ * inv_std + dLdV * 2.0 * (self.Z - self.M) / self.N + dLdM / self.N",
                                            "dLdZ = dLdNZ * inv_std"),
           "batchnorm", "wrong-gradient", "backward ignores the batch statistics"),
    # -- models -------------------------------------------------------------------------------
    Mutant("mlp0-skips-relu", one(M, "        A1 = self.layers[1].forward(Z0)\n        if self.debug:\n            self.Z0 = Z0\n",
                                  "        A1 = Z0\n        if self.debug:\n            self.Z0 = Z0\n"),
           "mlp0", "wrong-forward", "MLP0 forward skips its ReLU"),
    Mutant("mlp1-backward-skips-relu", one(M, "dLdZ1 = self.layers[3].backward(dLdA2)", "dLdZ1 = dLdA2"),
           "mlp1", "wrong-gradient", "MLP1 backward skips the last ReLU"),
    Mutant("mlp4-wrong-widths", one(M, "widths = [2, 4, 8, 8, 4, 2]", "widths = [2, 4, 8, 4, 2]"), "mlp4",
           "missing-api", "MLP4 with a layer missing"),
    # -- training (the grader's MNIST loop) ------------------------------------------------------
    Mutant("training-sgd-ascent", one(O, SGD_W, "self.l[i].W = self.l[i].W + self.lr * self.l[i].dLdW"),
           "training", "divergence", "gradient ascent under the grader's MNIST loop"),
    Mutant("training-relu-dead", one(A, RELU_D, "dAdZ = np.where(self.A > 0, 1.0, 0.0) * 0.0"), "training",
           "accuracy-below-threshold", "ReLU passes no gradient: only the output layer learns"),
)

# -- backward at |Z| ~ 1e3: derivatives written through exp overflow to NaN (issue 14) -------
MUTANTS = MUTANTS + (
    Mutant("sigmoid-backward-exp-overflow", ((A, (
        ("self.A = 1.0 / (1.0 + np.exp(-Z))", "self.Z = Z\n        self.A = 1.0 / (1.0 + np.exp(-Z))"),
        ("dAdZ = self.A - self.A * self.A",
         "dAdZ = np.exp(-self.Z) / (1 + np.exp(-self.Z)) ** 2"))),),
           "activations", "wrong-gradient", "sigmoid' as exp(-Z) / (1 + exp(-Z))**2: NaN for Z << 0"),
    Mutant("tanh-backward-exp-formula", ((A, (
        ("self.A = np.tanh(Z)", "self.Z = Z\n        self.A = np.tanh(Z)"),
        ("dAdZ = 1 - self.A * self.A",
         "t = (np.exp(self.Z) - np.exp(-self.Z)) / (np.exp(self.Z) + np.exp(-self.Z))\n"
         "        dAdZ = 1 - t * t"))),),
           "activations", "wrong-gradient", "tanh' via (e^Z - e^-Z) / (e^Z + e^-Z): NaN for |Z| > 710"),
)

SIGMOID_STABLE = ("self.A = 1.0 / (1.0 + np.exp(-Z))",
                  "e = np.exp(-np.abs(Z))\n        self.A = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))")

#: Mutants whose bug only a check beyond the course's own tests finds (no 3.0.x autograder
#: build tests |x| ~ 1e3 for these, or inputs edited in place): reported, no points lost in
#: the F23-F24 release the catalog's solution is (issue 20). Softmax's overflow costs points
#: in S25 and S26 (tests/profiles/test_mytorch_releases.py).
BEYOND_COURSE = frozenset({
    "sigmoid-overflow", "softmax-no-max", "ce-overflow", "relu-mutates-input",
    "ce-backward-mutates-cache", "sigmoid-backward-exp-overflow", "tanh-backward-exp-formula",
})

VARIANTS: tuple[Variant, ...] = (
    Variant("linear-broadcast", one(L, LIN_Z, "Z = A @ self.W.T + self.b.T"), "bias added by broadcasting"),
    Variant("linear-sum-bias", one(L, LIN_DB, "self.dLdb = np.sum(dLdZ, axis=0, keepdims=True).T"),
            "dLdb by np.sum with keepdims"),
    # Was a mutant (dtype) until issue 20: every autograder build feeds float32 and compares
    # to 4 decimals, so float32 arithmetic is what the course accepts.
    Variant("linear-float32", one(L, LIN_Z, "Z = (self.A.astype(np.float32) @ self.W.T.astype(np.float32)).astype(np.float64) + self.Ones @ self.b.T"),
            "forward computed in float32, as the course's own float32 inputs are"),
    Variant("linear-einsum", one(L, LIN_DW, "self.dLdW = np.einsum('no,ni->oi', dLdZ, self.A)"), "dLdW by einsum"),
    Variant("sigmoid-stable", one(A, *SIGMOID_STABLE), "numerically stable sigmoid"),
    Variant("tanh-without-np-tanh", one(A, "self.A = np.tanh(Z)", "self.A = 2.0 / (1.0 + np.exp(-2.0 * Z)) - 1.0"),
            "tanh from exp (later builds forbid np.tanh)"),
    Variant("softmax-vectorised", one(A, """        N, C = dLdA.shape
        dLdZ = np.zeros((N, C))
        for i in range(N):
            a = self.A[i]
            J = np.diag(a) - np.outer(a, a)
            dLdZ[i, :] = dLdA[i, :] @ J
        return dLdZ""", """        return self.A * (dLdA - np.sum(dLdA * self.A, axis=1, keepdims=True))"""),
            "softmax Jacobian-vector product without loops"),
    Variant("gelu-math-erf", ((A, (("from scipy.special import erf", "import math\n\nerf = np.vectorize(math.erf)"),)),),
            "GELU without scipy"),
    Variant("losses-float-and-mean", ((S, (("return mse[0, 0]", "return float(np.mean(se))"),
                                            ("return L\n", "return float(L)\n"))),),
            "losses returned as Python floats, MSE by np.mean"),
    Variant("sgd-cs231n-velocity", ((O, ((SGD_VW, "self.v_W[i] = self.mu * self.v_W[i] - self.lr * self.l[i].dLdW"),
                                          ("self.l[i].W = self.l[i].W - self.lr * self.v_W[i]",
                                           "self.l[i].W = self.l[i].W + self.v_W[i]"))),),
            "velocity holding -lr * the gradient sum"),
    Variant("sgd-in-place", one(O, SGD_W, "self.l[i].W -= self.lr * self.l[i].dLdW"), "in-place parameter update"),
    Variant("batchnorm-compact-backward", one(B, "dLdZ = dLdNZ * inv_std + dLdV * 2.0 * (self.Z - self.M) / self.N + dLdM / self.N",
                                              "dLdZ = inv_std * (dLdNZ - dLdNZ.mean(axis=0) - self.NZ * (dLdNZ * self.NZ).mean(axis=0))"),
            "the compact BatchNorm backward"),
    Variant("models-package-imports", one(M, "from mytorch.nn.activation import ReLU\nfrom mytorch.nn.linear import Linear",
                                          "from mytorch.nn import Linear, ReLU"),
            "models import through the package's __init__"),
)

#: Broken layouts: (name, edits, removed files). None may crash the run.
BROKEN: tuple[tuple[str, Edits, tuple[str, ...]], ...] = (
    ("no-nn-init", one(M, "from mytorch.nn.activation import ReLU\nfrom mytorch.nn.linear import Linear",
                       "from mytorch.nn import Linear, ReLU"), ("mytorch/nn/__init__.py",)),
    ("renamed-linear", ((L, (("class Linear:", "class LinearLayer:"),)),), ()),
    ("loss-fails-import", one(S, "import numpy as np\n", "import numpy as np\n\nraise RuntimeError('unfinished')\n"),
     ()),
)
