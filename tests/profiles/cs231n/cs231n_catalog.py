"""CS231n fully-connected fixtures: buggy variants, correct variants and broken layouts, all
as small source edits of the correct solution in tests/profiles/cs231n/solution (written
here in the course's conventions, never copied from the course).

Edits and `Mutant` are MyTorch's (tests/profiles/mytorch/mytorch_catalog.py); a `Variant`
here names the components it is graded on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mytorch"))

import mytorch_catalog as base  # noqa: E402
from mytorch_catalog import Edits, Mutant, one  # noqa: E402,F401

SOLUTION = Path(__file__).resolve().parent / "solution"
#: Our own stub in the handout's style (None placeholders, `pass` under TODO banners).
STUB = Path(__file__).resolve().parent / "stub"
LY, OP, FC = "cs231n/layers.py", "cs231n/optim.py", "cs231n/classifiers/fc_net.py"
#: Mutants whose bug only a check beyond the course's own tests finds: reported, no points
#: lost (a course profile scores beyond-course checks only when the rubric says so). An
#: in-place relu_forward or softmax_loss is not among them: the notebooks' numerical gradient
#: checks fail on it, so every release scores those checks (releases.NOTEBOOK_TESTS).
BEYOND_COURSE = frozenset({"softmax-unstable"})
COMPONENTS = ["affine", "relu", "losses", "dropout", "update-rules", "two-layer-net", "fc-net", "batchnorm",
              "layernorm"]


@dataclass(frozen=True)
class Variant:
    name: str
    edits: Edits
    style: str
    tags: tuple[str, ...]


def materialize(dest: Path, edits: Edits = (), removed: tuple[str, ...] = ()) -> Path:
    return base.materialize(dest, edits, removed, solution=SOLUTION)


AFF_OUT = "out = x.reshape(x.shape[0], -1).dot(w) + b"
AFF_DX = "dx = dout.dot(w.T).reshape(x.shape)"
AFF_DW = "dw = x.reshape(x.shape[0], -1).T.dot(dout)"
AFF_DB = "db = np.sum(dout, axis=0)"
RELU_DX = "dx = dout * (x > 0)"
SM_LOSS = "loss = -np.sum(log_probs[np.arange(N), y]) / N"
MASK = "mask = (np.random.rand(*x.shape) < p) / p"
SGD_W = 'w -= config["learning_rate"] * dw'
MOM_V = 'v = config["momentum"] * v - config["learning_rate"] * dw'
ADAM_MHAT = 'm_hat = config["m"] / (1 - config["beta1"] ** config["t"])'
ADAM_STEP = 'next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])'
TWO_REG = 'loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))'

MUTANTS: tuple[Mutant, ...] = (
    Mutant("affine-no-bias", one(LY, AFF_OUT, "out = x.reshape(x.shape[0], -1).dot(w)"), "affine",
           "wrong-forward", "affine_forward leaves out b"),
    Mutant("affine-dx-not-reshaped", one(LY, AFF_DX, "dx = dout.dot(w.T)"), "affine", "shape-mismatch",
           "dx flat (N, D) for inputs with extra axes"),
    Mutant("affine-db-mean", one(LY, AFF_DB, "db = np.mean(dout, axis=0)"), "affine", "gradient-scale",
           "db averaged over the batch"),
    Mutant("affine-dw-scaled", one(LY, AFF_DW, AFF_DW + " / x.shape[0]"), "affine", "gradient-scale",
           "dw divided by N"),
    Mutant("affine-dx-no-transpose", one(LY, AFF_DX, "dx = (dout.dot(w.T) * 2).reshape(x.shape)"), "affine",
           "gradient-scale", "dx doubled"),
    Mutant("affine-dw-x-unflattened", one(LY, AFF_DW, "dw = x.reshape(-1, w.shape[0]).T.dot(dout) if x.ndim == 2 "
                                                    "else x.reshape(x.shape[0], -1)[:, ::-1].T.dot(dout)"),
           "affine", "wrong-gradient", "dw of a mis-flattened x"),
    Mutant("relu-mask-on-dout", one(LY, RELU_DX, "dx = dout * (dout > 0)"), "relu", "relu-mask",
           "relu_backward gated on dout"),
    Mutant("relu-forward-abs", one(LY, "out = np.maximum(0, x)", "out = np.abs(x)"), "relu", "wrong-forward",
           "|x| instead of max(x, 0)"),
    Mutant("relu-leaky-backward", one(LY, RELU_DX, "dx = dout * np.where(x > 0, 1.0, 0.01)"), "relu",
           "wrong-gradient", "leaky derivative"),
    Mutant("softmax-sum-not-mean", one(LY, SM_LOSS, "loss = -np.sum(log_probs[np.arange(N), y])"), "losses",
           "loss-reduction", "softmax_loss summed over the batch"),
    Mutant("softmax-dx-not-divided", one(LY, "    dx = dx / N\n", ""), "losses", "gradient-scale",
           "softmax_loss's dx not divided by N"),
    Mutant("softmax-no-minus-one", one(LY, "    dx[np.arange(N), y] -= 1\n", ""), "losses", "wrong-gradient",
           "dx = softmax only"),
    Mutant("softmax-unstable", one(LY, "shifted = x - np.max(x, axis=1, keepdims=True)", "shifted = x"),
           "losses", "softmax-overflow", "no max subtracted"),
    Mutant("softmax-in-place", one(LY, "shifted = x - np.max(x, axis=1, keepdims=True)",
                                   "x -= np.max(x, axis=1, keepdims=True)\n    shifted = x"),
           "losses", "input-mutation", "softmax_loss shifts the caller's scores in place"),
    Mutant("relu-in-place", one(LY, "    out = np.maximum(0, x)\n    cache = x\n",
                                "    cache = x.copy()\n    np.maximum(0, x, out=x)\n    out = x\n"),
           "relu", "input-mutation", "relu_forward overwrites x"),
    Mutant("svm-margin-zero", one(LY, "margins = np.maximum(0, x - correct + 1.0)",
                                  "margins = np.maximum(0, x - correct)"), "losses", "wrong-forward",
           "hinge without the margin 1"),
    Mutant("svm-dx-not-divided", one(LY, "    dx /= N\n", ""), "losses", "gradient-scale",
           "svm_loss's dx not divided by N"),
    Mutant("dropout-drop-probability", one(LY, MASK, "mask = (np.random.rand(*x.shape) >= p) / p"), "dropout",
           "dropout-mode", "p used as the drop probability (2017)"),
    Mutant("dropout-not-inverted", one(LY, MASK, "mask = (np.random.rand(*x.shape) < p) * 1.0"), "dropout",
           "dropout-mode", "kept units not divided by p"),
    Mutant("dropout-test-scales", one(LY, "        out = x\n", "        out = x * p\n"), "dropout",
           "dropout-mode", "test mode multiplies by p"),
    Mutant("dropout-seed-ignored", one(LY, '        np.random.seed(dropout_param["seed"])', "        pass"),
           "dropout", "nondeterministic", "seed not honoured"),
    Mutant("dropout-backward-no-mask", one(LY, "        return dout * mask", "        return dout"), "dropout",
           "wrong-gradient", "backward ignores the mask"),
    Mutant("sgd-ascent", one(OP, SGD_W, 'w += config["learning_rate"] * dw'), "update-rules", "optimizer-update",
           "sgd steps up the gradient"),
    Mutant("momentum-velocity-lost", one(OP, '    config["velocity"] = v\n', ""), "update-rules",
           "config-state", "velocity not stored in config"),
    Mutant("momentum-plus", one(OP, MOM_V, 'v = config["momentum"] * v + config["learning_rate"] * dw'),
           "update-rules", "optimizer-update", "v accumulates +lr dw"),
    Mutant("momentum-global", ((OP, (('    v = config.get("velocity", np.zeros_like(w))\n',
                                      '    global _V\n    v = _V if "_V" in globals() and _V.shape == w.shape '
                                      'and "velocity" in config else np.zeros_like(w)\n'),
                                     ('    config["velocity"] = v\n', '    config["velocity"] = v\n    _V = v\n'))),),
           "update-rules", "config-state", "velocity kept in a module global"),
    Mutant("rmsprop-no-sqrt", one(OP, 'dw / (np.sqrt(config["cache"]) + config["epsilon"])',
                                  'dw / (config["cache"] + config["epsilon"])'), "update-rules",
           "optimizer-update", "no square root"),
    Mutant("rmsprop-default-decay", one(OP, 'config.setdefault("decay_rate", 0.99)',
                                        'config.setdefault("decay_rate", 0.9)'), "update-rules",
           "optimizer-update", "decay_rate default 0.9"),
    Mutant("adam-t-after", ((OP, (('    config["t"] += 1\n', ""),
                                  (ADAM_STEP, ADAM_STEP + '\n    config["t"] += 1'))),),
           "update-rules", "optimizer-update", "t incremented after the bias correction"),
    Mutant("adam-no-bias-correction", one(OP, ADAM_MHAT, 'm_hat = config["m"]'), "update-rules",
           "optimizer-update", "m not bias-corrected"),
    Mutant("adam-default-lr", one(OP, 'config.setdefault("learning_rate", 1e-3)',
                                  'config.setdefault("learning_rate", 1e-2)'), "update-rules",
           "optimizer-update", "adam's learning_rate default 1e-2"),
    Mutant("two-layer-no-reg-loss", one(FC, "        " + TWO_REG + "\n", ""), "two-layer-net", "regularization",
           "TwoLayerNet's loss without the regulariser"),
    Mutant("two-layer-no-reg-grad", one(FC, '        grads["W1"] += self.reg * self.params["W1"]\n', ""),
           "two-layer-net", "regularization", "W1's gradient without reg * W1"),
    Mutant("two-layer-scores-softmax", one(FC, "        if y is None:\n            return scores",
                                           "        if y is None:\n            return np.exp(scores) / "
                                           "np.exp(scores).sum(axis=1, keepdims=True)"),
           "two-layer-net", "wrong-forward", "scores returned as probabilities"),
    Mutant("fc-reg-no-half", one(FC, "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)"),
           "fc-net", "regularization", "regulariser without the 1/2"),
    Mutant("fc-reg-grad-double", one(FC, 'grads["W%d" % i] += self.reg * self.params["W%d" % i]',
                                     'grads["W%d" % i] += 2 * self.reg * self.params["W%d" % i]'),
           "fc-net", "regularization", "hidden weights' regulariser gradient doubled"),
    Mutant("fc-last-bias-dropped", one(FC, 'affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])',
                                       'affine_forward(h, self.params["W%d" % L], 0 * self.params["b%d" % L])'),
           "fc-net", "wrong-forward", "the last layer's bias ignored"),
    Mutant("fc-dropout-in-test", one(FC, '            self.dropout_param["mode"] = mode\n', "            pass\n"),
           "fc-net", "dropout-mode", "dropout left in train mode at test time"),
    Mutant("sgd-frozen", one(OP, SGD_W, "w = w.copy()"), "training", "no-learning",
           "sgd never moves the weights"),
    Mutant("sgd-diverges", one(OP, SGD_W, 'w -= 300 * config["learning_rate"] * dw'), "training",
           "divergence", "sgd's step 300 times too large"),
)

# -- normalisation: batchnorm, layernorm and the normalised FullyConnectedNet -------------------
BN_MEAN, BN_VAR = "sample_mean = np.mean(x, axis=0)", "sample_var = np.var(x, axis=0)"
BN_STORE = '    bn_param["running_mean"] = running_mean\n    bn_param["running_var"] = running_var\n'
BN_HEAD = "    N = dout.shape[0]\n    dbeta = np.sum(dout, axis=0)\n    dgamma = np.sum(dout * x_hat, axis=0)\n"
BN_STAGED = ("    dxmu = dx_hat / std\n    dstd = -np.sum(dx_hat * xmu, axis=0) / std ** 2\n"
             "    dvar = 0.5 * dstd / std\n    dxmu += 2 * xmu * dvar / N\n    dmu = -np.sum(dxmu, axis=0)\n"
             "    dx = dxmu + dmu / N\n")
LN_DX = ("    dx = (dx_hat - np.mean(dx_hat, axis=1, keepdims=True)\n"
         "          - x_hat * np.mean(dx_hat * x_hat, axis=1, keepdims=True)) / std\n")

NORM_MUTANTS: tuple[Mutant, ...] = (
    Mutant("bn-stats-over-features", ((LY, ((BN_MEAN, "sample_mean = np.mean(x, axis=1, keepdims=True)"),
                                            (BN_VAR, "sample_var = np.var(x, axis=1, keepdims=True)"))),),
           "batchnorm", "wrong-forward", "batchnorm's statistics per sample (axis=1)"),
    Mutant("bn-running-not-stored", one(LY, BN_STORE, ""), "batchnorm", "running-statistics",
           "running_mean/var never written back to bn_param"),
    Mutant("bn-running-in-a-copy", one(LY, '    mode = bn_param["mode"]\n',
                                       '    bn_param = dict(bn_param)\n    mode = bn_param["mode"]\n'),
           "batchnorm", "running-statistics", "running stats stored in a copy of bn_param"),
    Mutant("bn-momentum-swapped", one(LY, "running_mean = momentum * running_mean + (1 - momentum) * sample_mean",
                                      "running_mean = (1 - momentum) * running_mean + momentum * sample_mean"),
           "batchnorm", "running-statistics", "momentum weighs the batch mean"),
    Mutant("bn-test-uses-batch-stats", one(LY, "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
                                           "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta"),
           "batchnorm", "eval-mode", "test mode normalises with the batch's statistics"),
    Mutant("bn-test-updates-running", one(LY, '    elif mode == "test":\n',
                                          '    elif mode == "test":\n        running_mean = momentum * '
                                          "running_mean + (1 - momentum) * x.mean(axis=0)\n"),
           "batchnorm", "running-statistics", "test mode folds the batch into running_mean"),
    Mutant("bn-unbiased-variance", one(LY, BN_VAR, "sample_var = np.var(x, axis=0, ddof=1)"), "batchnorm",
           "wrong-forward", "ddof=1 variance"),
    Mutant("bn-eps-outside-sqrt", one(LY, "std = np.sqrt(sample_var + eps)", "std = np.sqrt(sample_var) + eps"),
           "batchnorm", "wrong-forward", "eps added outside the square root"),
    Mutant("bn-dgamma-over-features", one(LY, BN_HEAD, BN_HEAD.replace("x_hat, axis=0)", "x_hat, axis=1)")),
           "batchnorm", "bias-gradient-not-summed", "dgamma summed over the features"),
    Mutant("bn-dbeta-over-features", one(LY, BN_HEAD, BN_HEAD.replace("(dout, axis=0)", "(dout, axis=1)")),
           "batchnorm", "bias-gradient-not-summed", "dbeta summed over the features"),
    Mutant("bn-backward-constant-stats", one(LY, BN_STAGED, "    dx = dx_hat / std\n"), "batchnorm",
           "wrong-gradient", "backward treats the batch mean and variance as constants"),
    Mutant("bn-alt-no-mean-term", one(LY, "dx = (dx_hat - dx_hat.mean(axis=0) - x_hat", "dx = (dx_hat - x_hat"),
           "batchnorm", "wrong-gradient", "batchnorm_backward_alt without the mean's term"),
    Mutant("ln-over-batch", ((LY, (("mean = np.mean(x, axis=1, keepdims=True)", "mean = np.mean(x, axis=0)"),
                                   ("var = np.var(x, axis=1, keepdims=True)", "var = np.var(x, axis=0)"))),),
           "layernorm", "batch-dependence", "layernorm's statistics over the batch"),
    Mutant("ln-backward-constant-stats", one(LY, LN_DX, "    dx = dx_hat / std\n"), "layernorm",
           "wrong-gradient", "layernorm backward treats mean and variance as constants"),
    Mutant("fc-gamma-starts-at-zero", one(FC, 'self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])',
                                          'self.params["gamma%d" % (i + 1)] = np.zeros(dims[i + 1])'),
           "fc-net", "init-scale", "gamma initialised to zeros"),
    Mutant("fc-bn-train-mode-at-test", one(FC, '                bn_param["mode"] = mode\n', "                pass\n"),
           "fc-net", "eval-mode", "the net's batchnorm layers stay in train mode when y is None"),
    Mutant("fc-reg-skips-last-layer", ((FC, (("for i in range(1, L + 1):\n            W = self.params",
                                                "for i in range(1, L):\n            W = self.params"),
                                               ('        grads["W%d" % L] += self.reg * self.params["W%d" % L]\n', ""))),),
           "fc-net", "regularization", "the regulariser stops one layer short (loss and grads alike)"),
    Mutant("fc-bn-skipped-at-test", one(FC, "            if self.normalization:\n                h, cache = self._affine_norm",
                                        "            if self.normalization and mode == \"train\":\n                h, cache = self._affine_norm"),
           "fc-net", "eval-mode", "the net leaves its batchnorm layers out when y is None"),
    Mutant("fc-norm-no-dgamma", one(FC, 'da, grads["gamma%d" % i], grads["beta%d" % i] = norm_backward(',
                                    'da, _, grads["beta%d" % i] = norm_backward('),
           "fc-net", "missing-api", "the normalised net returns no gradient for gamma"),
)
MUTANTS = MUTANTS + NORM_MUTANTS

NORM_VARIANTS: tuple[Variant, ...] = (
    Variant("bn-compact-backward", one(LY, BN_STAGED, "    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * "
                                       "np.mean(dx_hat * x_hat, axis=0)) / std\n"),
            "batchnorm_backward by the compact formula", ("batchnorm", "fc-net")),
    Variant("use-batchnorm-2018", ((FC, (("normalization=None, reg=0.0,", "use_batchnorm=False, reg=0.0,"),
                                         ("self.normalization = normalization",
                                          'self.normalization = "batchnorm" if use_batchnorm else None'))),),
            "FullyConnectedNet(use_batchnorm=True) as in 2017-2018 (no layernorm)", ("fc-net",)),
    Variant("no-normalization-year", ((LY, (("def batchnorm_forward(", "def _batchnorm_forward_unused("),
                                            ("def layernorm_forward(", "def _layernorm_forward_unused("))),),
            "a year without batchnorm and layernorm", ("batchnorm", "layernorm", "fc-net")),
)

VARIANTS: tuple[Variant, ...] = (
    Variant("affine-einsum", one(LY, AFF_DW, "dw = np.einsum('nd,nm->dm', x.reshape(len(x), -1), dout)"),
            "dw by einsum", ("affine",)),
    Variant("affine-cache-dict", ((LY, (("cache = (x, w, b)", 'cache = {"x": x, "w": w, "b": b}'),
                                      ("x, w, b = cache", 'x, w, b = cache["x"], cache["w"], cache["b"]'))),),
            "a dict cache", ("affine", "two-layer-net", "fc-net")),
    Variant("relu-cache-object", ((LY, (("    cache = x\n    return out, cache",
                                         "    cache = _Saved(x)\n    return out, cache"),
                                        ("    x = cache\n", "    x = cache.x\n"),
                                        ("import numpy as np\n", "import numpy as np\n\n\nclass _Saved:\n"
                                         "    def __init__(self, x):\n        self.x = x\n"))),),
            "the student's own object as a cache (stays in the worker)", ("relu", "two-layer-net", "fc-net")),
    Variant("relu-where", one(LY, "out = np.maximum(0, x)", "out = np.where(x > 0, x, 0.0)"), "np.where",
            ("relu",)),
    Variant("softmax-logsumexp", one(LY, SM_LOSS, "loss = np.mean(np.log(np.exp(shifted).sum(axis=1)) - "
                                     "shifted[np.arange(N), y])"), "loss from logsumexp", ("losses",)),
    Variant("no-svm-loss", one(LY, "def svm_loss(x, y):", "def _svm_loss_unused(x, y):"),
            "a year without svm_loss", ("losses",)),
    Variant("dropout-keyword-2018", ((FC, (("dropout_keep_ratio=1,", "dropout=1,"),
                                           ("self.use_dropout = dropout_keep_ratio != 1",
                                            "self.use_dropout = dropout != 1"),
                                           ('{"mode": "train", "p": dropout_keep_ratio}',
                                            '{"mode": "train", "p": dropout}'))),),
            "FullyConnectedNet(dropout=...) as in 2018-2020", ("fc-net",)),
    Variant("sgd-not-in-place", one(OP, SGD_W, 'w = w - config["learning_rate"] * dw'), "a new array",
            ("update-rules",)),
    Variant("adam-explicit-t", one(OP, '    config["t"] += 1\n', '    config["t"] = config["t"] + 1\n'),
            "t = t + 1", ("update-rules",)),
    # The 2017 handout's default: config.setdefault("t", 1), then t += 1 before use.
    Variant("adam-t-from-1", one(OP, 'config.setdefault("t", 0)', 'config.setdefault("t", 1)'),
            "t starts at 1 (2017 handout)", ("update-rules",)),
    # The bias corrections folded into the step size (epsilon then sits on sqrt(v), not on
    # sqrt(v_hat)): w differs from the textbook form's by ~1e-7 where v is small.
    Variant("adam-folded-corrections", one(OP, ADAM_STEP,
                                           'step = config["learning_rate"] * np.sqrt(1 - config["beta2"] ** config["t"]) / '
                                           '(1 - config["beta1"] ** config["t"])\n'
                                           '    next_w = w - step * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])'),
            "bias corrections folded into the step size", ("update-rules",)),
    # Epsilon under the root (dev set: AndersonZhangyq/cs231n-2017); the notebook's check passes it.
    Variant("rmsprop-eps-inside-sqrt", one(OP, 'dw / (np.sqrt(config["cache"]) + config["epsilon"])',
                                           'dw / np.sqrt(config["cache"] + config["epsilon"])'),
            "epsilon under the square root", ("update-rules", "training")),
    Variant("mask-bool", ((LY, ((MASK, "mask = np.random.rand(*x.shape) < p"),
                                ("        out = x * mask\n", "        out = x * mask / p\n"),
                                ("        return dout * mask", '        return dout * mask / dropout_param["p"]'))),),
            "boolean mask, scaled where used", ("dropout", "fc-net")),
)

VARIANTS = VARIANTS + NORM_VARIANTS

BROKEN: tuple[tuple[str, Edits, tuple[str, ...]], ...] = (
    ("fc-net-fails-import", one(FC, "import numpy as np\n", "import numpy as np\n\nraise RuntimeError('unfinished')\n"),
     ()),
    ("no-optim", (), (OP,)),
    ("renamed-relu-backward", one(LY, "def relu_backward(dout, cache):", "def relu_back(dout, cache):"), ()),
)


# -- Training with every update rule, dropout in train-mode nets, the 2017 convention ---------

RMS_CACHE = 'config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2'
RMS_STEP = 'next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])'
ADAM_VHAT = 'v_hat = config["v"] / (1 - config["beta2"] ** config["t"])'
NET_SEED = '                self.dropout_param["seed"] = seed\n'
# The 2017 handout: p is the drop probability, FullyConnectedNet(dropout=0) means no dropout.
DROP_2017: Edits = (
    (LY, ((MASK, "mask = (np.random.rand(*x.shape) >= p) / (1 - p)"),)),
    (FC, (("dropout_keep_ratio=1,", "dropout=0,"),
          ("self.use_dropout = dropout_keep_ratio != 1", "self.use_dropout = dropout > 0"),
          ('{"mode": "train", "p": dropout_keep_ratio}', '{"mode": "train", "p": dropout}'))),
)

TRAINING_MUTANTS: tuple[Mutant, ...] = (
    Mutant("rmsprop-cache-not-kept", one(OP, RMS_CACHE + "\n    " + RMS_STEP,
                                         RMS_CACHE.replace('config["cache"] =', "cache =", 1) + "\n    "
                                         + RMS_STEP.replace('config["cache"]', "cache")),
           "training", "divergence", "rmsprop's cache never stored in config: every step is lr * 10 * sign(dw)"),
    Mutant("adam-state-not-returned", one(OP, ADAM_STEP, ADAM_STEP + '\n    config = {k: config[k] for k in '
                                          '("learning_rate", "beta1", "beta2", "epsilon")}'),
           "training", "config-state", "adam returns a config without m, v, t (it still learns)"),
    Mutant("adam-no-bias-correction-trains", ((OP, ((ADAM_MHAT, 'm_hat = config["m"]'),
                                                    (ADAM_VHAT, 'v_hat = config["v"]'))),),
           "training", "optimizer-update", "adam without bias corrections: the first step is already off"),
    Mutant("fc-dropout-seed-ignored", one(FC, NET_SEED, "                pass\n"), "fc-net", "nondeterministic",
           "FullyConnectedNet never puts its seed into dropout_param"),
    Mutant("fc-dropout-not-applied", one(FC, "                h, drop_cache = dropout_forward(h, self.dropout_param)\n",
                                         "                drop_cache = (self.dropout_param, None)\n"
                                         "                self.dropout_param['mode'] = 'test'\n"),
           "fc-net", "dropout-mode", "FullyConnectedNet skips dropout in train mode"),
    Mutant("dropout-2017-graded-as-keep", DROP_2017, "dropout", "dropout-mode",
           "a 2017 submission (p = drop probability) under dropout_p = keep"),
)
MUTANTS = MUTANTS + TRAINING_MUTANTS

#: A 2017 submission, correct in its year, graded with each rubric setting that accepts it.
YEAR_VARIANTS: tuple[tuple[Variant, str], ...] = tuple(
    (Variant(f"dropout-2017-{setting}", DROP_2017, f"2017: p = drop probability, dropout= keyword "
             f"(dropout_p = {setting})", ("dropout", "fc-net")), setting) for setting in ("drop", "detect"))
