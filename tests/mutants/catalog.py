"""The public mutant catalog: real bugs (and correct-but-different styles) as edits of reference/.

Each `Mutant` is a list of (old, new) text edits applied to one file of a copy
of reference/*.py. `old` must occur exactly once in that file (checked by
`materialize`, so a reference edit that breaks a mutant fails loudly). A mutant
must lose points on a check whose first tag is `tag`, with diagnosis
`diagnosis` and, when `hint` is set, a hint containing that text (what the
student wrote, named); a `Variant` must get full marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grading_helpers import make_submission



@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    tag: str
    diagnosis: str
    bug: str
    hint: str = ""  # text the diagnosis' hint must contain: the bug named as students write it

    def apply(self, text: str) -> str:
        for old, new in self.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"mutant {self.name}: {old!r} occurs {count} times in {self.file}")
            text = text.replace(old, new)
        return text


@dataclass(frozen=True)
class Variant:
    """A correct solution written differently: must pass every check."""

    name: str
    edits: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (file, ((old, new), ...))
    style: str


def M(name: str, file: str, old: str, new: str, tag: str, diagnosis: str, bug: str,
      hint: str = "") -> Mutant:
    return Mutant(name, file, ((old, new),), tag, diagnosis, bug, hint)


def MM(name: str, file: str, edits: list[tuple[str, str]], tag: str, diagnosis: str,
       bug: str, hint: str = "") -> Mutant:
    return Mutant(name, file, tuple(edits), tag, diagnosis, bug, hint)


L, S, O, N = "layers.py", "losses.py", "optim.py", "network.py"

RELU_BACKWARD = "        return np.where(self._mask, grad_out, 0.0)"
RELU_FORWARD = "        self._mask = x > 0\n        return np.where(self._mask, x, 0.0)"
SIG_S = "        s = self._out\n"
TANH_FORWARD = "        self._out = np.tanh(x)\n        return self._out"
TANH_BACKWARD = "        return grad_out * (1.0 - self._out ** 2)"
SOFTMAX_BODY = ("    shifted = logits - logits.max(axis=1, keepdims=True)\n    e = np.exp(shifted)\n"
                "    return e / e.sum(axis=1, keepdims=True)")
LOG_SOFTMAX_BODY = ("    shifted = logits - logits.max(axis=1, keepdims=True)\n"
                    "    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))")
CE_RETURN = "        return float(-log_p[np.arange(n), self._y].mean())"
SGD_W = "                layer.W -= self.lr * layer.dW\n"
SGD_B = "                layer.b -= self.lr * layer.db"
FLAT_IMPORT = "    from losses import SoftmaxCrossEntropy  # type: ignore[no-redef]"
REL_IMPORT = "    from .losses import SoftmaxCrossEntropy\n"

MUTANTS: tuple[Mutant, ...] = (
    # -- activations ----------------------------------------------------------------------
    MM("relu-softplus-derivative", L, [
        (RELU_FORWARD, "        self._mask = x > 0\n        self._x = x\n"
                       "        return np.where(self._mask, x, 0.0)"),
        (RELU_BACKWARD, "        return grad_out / (1.0 + np.exp(-self._x))")],
       "relu", "wrong-gradient", "ReLU derivative replaced by softplus' (sigmoid(x))",
       hint="derivative of softplus"),
    # The project's seed bug as written: softplus itself in place of the derivative.
    MM("relu-softplus-function", L, [
        (RELU_FORWARD, "        self._mask = x > 0\n        self._x = x\n"
                       "        return np.where(self._mask, x, 0.0)"),
        (RELU_BACKWARD, "        return grad_out * np.log(1 + np.exp(self._x))")],
       "relu", "wrong-gradient", "ReLU derivative replaced by softplus: grad_out * np.log(1 + np.exp(x))",
       hint="np.log(1 + np.exp(x))"),
    M("relu-gate-on-grad", L, RELU_BACKWARD, "        return np.where(grad_out > 0, grad_out, 0.0)",
      "relu", "relu-mask", "ReLU backward gated on grad_out > 0", hint='(grad_out > 0)'),
    M("relu-backward-unmasked", L, RELU_BACKWARD, "        return grad_out",
      "relu", "wrong-gradient", "ReLU backward returns grad_out without the mask",
      hint="returns grad_out unchanged"),
    M("relu-inplace-forward", L, RELU_FORWARD,
      "        self._mask = x > 0\n        return np.maximum(x, 0, out=x)",
      "relu", "input-mutation", "ReLU forward with np.maximum(x, 0, out=x)"),
    M("relu-forward-abs", L, RELU_FORWARD,
      "        self._mask = x > 0\n        return np.abs(x)",
      "relu", "wrong-forward", "ReLU forward returns |x|"),
    M("sigmoid-derivative-twice", L, SIG_S, "        s = 1.0 / (1.0 + np.exp(-self._out))\n",
      "sigmoid", "activation-derivative-applied-twice", "sigmoid derivative applied to its output"),
    MM("sigmoid-derivative-on-input", L, [
        ("        self._out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
         "        self._out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n        self._x = x\n"),
        (SIG_S, "        s = self._x\n")],
       "sigmoid", "wrong-gradient", "sigmoid' as x (1 - x) with the input x"),
    M("sigmoid-inplace-forward", L,
      "        return self._out\n\n    def backward(self, grad_out: np.ndarray) -> np.ndarray:\n"
      "        s = self._out",
      "        x[...] = self._out  # reuse the input's memory\n        return x\n\n"
      "    def backward(self, grad_out: np.ndarray) -> np.ndarray:\n        s = self._out",
      "sigmoid", "input-mutation", "sigmoid forward writes its output into x"),
    MM("tanh-derivative-on-input", L, [
        (TANH_FORWARD, "        self._x = x\n        self._out = np.tanh(x)\n        return self._out"),
        (TANH_BACKWARD, "        return grad_out * (1.0 - self._x ** 2)")],
       "tanh", "wrong-gradient", "tanh' as 1 - x**2 with the input x"),
    M("tanh-derivative-twice", L, TANH_BACKWARD,
      "        return grad_out * (1.0 - np.tanh(self._out) ** 2)",
      "tanh", "activation-derivative-applied-twice", "tanh' evaluated at tanh(x)"),
    M("tanh-inplace-forward", L, TANH_FORWARD,
      "        self._out = np.tanh(x, out=x)\n        return self._out",
      "tanh", "input-mutation", "tanh forward with np.tanh(x, out=x)"),
    M("tanh-returns-ragged-list", L, "        self._out = np.tanh(x)\n        return self._out",
      "        self._out = np.tanh(x)\n        return [list(row) + [0.0] * i for i, row in enumerate(self._out)]",
      "tanh", "shape-mismatch", "forward returns a ragged list of lists instead of an array"),
    M("tanh-float32", L, TANH_FORWARD,
      "        self._out = np.tanh(x.astype(np.float32))\n        return self._out",
      "tanh", "dtype", "tanh computed in float32"),
    # -- Linear ---------------------------------------------------------------------------
    M("linear-db-keeps-batch", L, "        self.db = grad_out.sum(axis=0)", "        self.db = grad_out",
      "linear", "bias-gradient-not-summed", "bias gradient keeping the batch axis (db = grad_out)", hint='keeps the batch axis'),
    M("linear-db-axis1", L, "        self.db = grad_out.sum(axis=0)",
      "        self.db = grad_out.sum(axis=1)",
      "linear", "bias-gradient-not-summed", "db summed over axis 1"),
    M("linear-dW-transposed", L, "        self.dW = x.T @ grad_out", "        self.dW = grad_out.T @ x",
      "linear", "shape-mismatch", "dW = grad_out.T @ x (transposed)"),
    M("linear-dx-uses-dW", L, "        return grad_out @ self.W.T", "        return grad_out @ self.dW.T",
      "linear", "wrong-gradient", "dx computed with dW instead of W"),
    M("linear-dx-W-not-transposed", L, "        return grad_out @ self.W.T",
      "        return grad_out @ self.W", "linear", "shape-mismatch", "dx = grad_out @ W (no transpose)"),
    M("linear-dW-accumulates", L, "        self.dW = x.T @ grad_out", "        self.dW += x.T @ grad_out",
      "linear", "stale-gradient", "gradient accumulation (self.dW += ...)"),
    M("linear-no-bias", L, "        return x @ self.W + self.b", "        return x @ self.W",
      "linear", "wrong-forward", "forward forgets the bias"),
    M("linear-batch-centering", L, "        self._x = x\n        return x @ self.W + self.b",
      "        x = x - x.mean(axis=0)\n        self._x = x\n        return x @ self.W + self.b",
      "linear", "batch-dependence", "batch-dependent normalisation in forward (x - x.mean(0))"),
    M("linear-float32", L, "        return x @ self.W + self.b",
      "        return x.astype(np.float32) @ self.W.astype(np.float32) + self.b.astype(np.float32)",
      "linear", "dtype", "float32 computation"),
    M("linear-float32-cast-back", L, "        return x @ self.W + self.b",
      "        return (x.astype(np.float32) @ self.W.astype(np.float32)).astype(np.float64) + self.b",
      "linear", "dtype", "float32 product cast back to float64 (precision lost)"),
    M("linear-inplace-forward", L, "        self._x = x\n        return x @ self.W + self.b",
      "        self._x = x.copy()\n        out = x @ self.W + self.b\n        x *= 0.0\n        return out",
      "linear", "input-mutation", "forward zeroes its input in place (x *= 0)"),
    M("linear-init-randn", L, "* np.sqrt(2.0 / in_features)", "* 1.0",
      "linear", "init-scale", "Linear init with unscaled randn", hint='scale random weights by the fan-in'),
    M("linear-init-tiny", L, "* np.sqrt(2.0 / in_features)", "* 0.01",
      "linear", "init-scale", "Linear init scaled by 0.01"),
    M("linear-init-zero", L,
      "rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)",
      "np.zeros((in_features, out_features))", "linear", "init-symmetric", "zero init"),
    M("linear-init-constant-columns", L,
      "rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)",
      "np.repeat(rng.standard_normal((in_features, 1)) * np.sqrt(2.0 / in_features), out_features, axis=1)",
      "linear", "init-symmetric", "every hidden unit starts with the same weights"),
    M("linear-rng-ignored", L, "rng.standard_normal((in_features, out_features))",
      "np.random.randn(in_features, out_features)",
      "linear", "nondeterministic", "rng ignored (np.random.randn)"),
    # -- softmax / cross-entropy -----------------------------------------------------------
    M("softmax-axis0", S, SOFTMAX_BODY,
      "    shifted = logits - logits.max(axis=0, keepdims=True)\n    e = np.exp(shifted)\n"
      "    return e / e.sum(axis=0, keepdims=True)",
      "softmax", "softmax-axis", "softmax over axis 0", hint='axis=0, over the batch'),
    M("softmax-whole-array", S, SOFTMAX_BODY,
      "    shifted = logits - logits.max()\n    e = np.exp(shifted)\n    return e / e.sum()",
      "softmax", "softmax-axis", "softmax over the whole array"),
    M("softmax-unstable", S, SOFTMAX_BODY,
      "    e = np.exp(logits)\n    return e / e.sum(axis=1, keepdims=True)",
      "softmax", "softmax-overflow", "unstable softmax (no max subtraction)"),
    M("softmax-clipped", S, SOFTMAX_BODY,
      "    e = np.exp(np.clip(logits, -500, 500))\n    return e / e.sum(axis=1, keepdims=True)",
      "softmax", "softmax-overflow", "logits clipped at +-500", hint='do not clip the logits'),
    M("softmax-inplace-shift", S, SOFTMAX_BODY,
      "    logits -= logits.max(axis=1, keepdims=True)\n    e = np.exp(logits)\n"
      "    return e / e.sum(axis=1, keepdims=True)",
      "softmax", "input-mutation", "softmax shifts the caller's logits in place"),
    M("ce-clipped-logits", S, LOG_SOFTMAX_BODY,
      "    logits = np.clip(logits, -500, 500)\n" + LOG_SOFTMAX_BODY,
      "cross-entropy", "softmax-overflow", "cross-entropy on logits clipped at +-500", hint='do not clip the logits'),
    M("ce-log-of-softmax", S, LOG_SOFTMAX_BODY,
      "    e = np.exp(logits)\n    return np.log(e / e.sum(axis=1, keepdims=True))",
      "cross-entropy", "softmax-overflow", "log(softmax) without max subtraction"),
    M("ce-double-softmax", S, "        log_p = _log_softmax(logits)",
      "        log_p = _log_softmax(softmax(logits))",
      "cross-entropy", "double-softmax", "CE applying softmax twice", hint='softmax is applied twice'),
    M("ce-binary-formula", S, CE_RETURN,
      "        p = self._probs\n        Y = np.eye(p.shape[1])[self._y]\n"
      "        return float(np.mean(-(Y * np.log(p) + (1 - Y) * np.log(1 - p))))",
      "cross-entropy", "binary-cross-entropy", "binary cross-entropy on 10 classes", hint='-y log p - (1-y) log(1-p)'),
    M("ce-summed", S, CE_RETURN, "        return float(-log_p[np.arange(n), self._y].sum())",
      "cross-entropy", "loss-reduction", "loss summed instead of averaged", hint='summed over the batch'),
    M("ce-grad-not-divided", S, "        return grad / n", "        return grad",
      "cross-entropy", "gradient-scale", "CE gradient not divided by N", hint='N times too large: divide'),
    M("ce-grad-sign", S, "        return grad / n", "        return -grad / n",
      "cross-entropy", "wrong-gradient", "CE gradient with the wrong sign"),
    M("ce-inplace-probs", S,
      "        grad = self._probs.copy()  # a copy: the cached probabilities must survive",
      "        grad = self._probs", "cross-entropy", "input-mutation",
      "delta3 = probs; delta3[range(n), y] -= 1 (edits the cached softmax output)", hint='delta = probs; delta[...] -= 1'),
    M("ce-inplace-logits", S, "        log_p = _log_softmax(logits)",
      "        logits -= logits.max(axis=1, keepdims=True)\n        log_p = _log_softmax(logits)",
      "cross-entropy", "input-mutation", "forward shifts the caller's logits in place"),
    M("mse-no-factor-2", S, "        return 2.0 * self._diff / self._diff.size",
      "        return self._diff / self._diff.size", "mse", "gradient-scale", "MSE without the 2"),
    M("mse-summed", S, "        return float(np.mean(self._diff ** 2))",
      "        return float(np.sum(self._diff ** 2))", "mse", "loss-reduction", "MSE summed"),
    M("mse-grad-over-n", S, "        return 2.0 * self._diff / self._diff.size",
      "        return 2.0 * self._diff / self._diff.shape[0]", "mse", "gradient-scale",
      "MSE gradient divided by N instead of N*K"),
    M("mse-accumulating-cache", S, "        return 2.0 * self._diff / self._diff.size",
      "        self._diff *= 2.0\n        return self._diff / self._diff.size", "mse", "input-mutation",
      "MSE backward doubles its cached difference in place"),
    # -- SGD -------------------------------------------------------------------------------
    M("sgd-ascent", O, SGD_W, "                layer.W += self.lr * layer.dW\n",
      "sgd", "optimizer-direction", "SGD ascent (W += lr*dW)"),
    M("sgd-skips-bias", O, SGD_B, "                pass", "sgd", "optimizer-skips-parameters",
      "SGD updating W but not b"),
    MM("sgd-fixed-lr", O, [(SGD_W, "                layer.W -= 0.1 * layer.dW\n"),
                           (SGD_B, "                layer.b -= 0.1 * layer.db")],
       "sgd", "optimizer-update", "SGD ignoring lr (fixed at 0.1)"),
    MM("sgd-lr-one", O, [(SGD_W, "                layer.W -= layer.dW\n"),
                         (SGD_B, "                layer.b -= layer.db")],
       "sgd", "optimizer-update", "SGD ignoring lr (fixed at 1)"),
    M("sgd-first-layer-only", O, "        for layer in self.layers:",
      "        for layer in self.layers[:1]:", "sgd", "optimizer-skips-parameters",
      "SGD that only updates the first layer"),
    MM("sgd-stale-gradient-refs", O, [
        ("        self.lr = lr\n", "        self.lr = lr\n        self._grads = {id(l): (l.dW, l.db) "
                                  "for l in layers if hasattr(l, 'W')}\n"),
        (SGD_W, "                layer.W -= self.lr * self._grads[id(layer)][0]\n"),
        (SGD_B, "                layer.b -= self.lr * self._grads[id(layer)][1]")],
       "sgd", "optimizer-update", "SGD keeps the dW arrays it saw in __init__"),
    M("sgd-no-activation-skip", O, '            if hasattr(layer, "W") and hasattr(layer, "b"):',
      "            if True:", "sgd", "crash", "SGD does not skip activation layers"),
    # -- MLP -------------------------------------------------------------------------------
    MM("mlp-returns-softmax", N, [
        (FLAT_IMPORT, "    from losses import SoftmaxCrossEntropy, softmax  # type: ignore[no-redef]"),
        (REL_IMPORT, "    from .losses import SoftmaxCrossEntropy, softmax\n"),
        ("            x = layer.forward(x)\n        return x",
         "            x = layer.forward(x)\n        return softmax(x)")],
       "mlp", "double-softmax", "MLP.forward returning softmax (double softmax)"),
    M("mlp-ignores-activation", N, "                self.layers.append(ACTIVATIONS[activation]())",
      "                self.layers.append(ReLU())", "mlp", "ignores-hyperparameters",
      "MLP ignoring the activation argument"),
    M("mlp-trailing-activation", N, "            if i < len(sizes) - 2:", "            if True:",
      "mlp", "wrong-forward", "MLP with an activation after the last Linear"),
    MM("mlp-predict-max-prob", N, [
        (FLAT_IMPORT, "    from losses import SoftmaxCrossEntropy, softmax  # type: ignore[no-redef]"),
        (REL_IMPORT, "    from .losses import SoftmaxCrossEntropy, softmax\n"),
        ("        return np.argmax(self.forward(x), axis=1)",
         "        return softmax(self.forward(x)).max(axis=1)")],
       "mlp", "wrong-forward", "predict returning the max probability instead of argmax"),
    M("mlp-rng-ignored", N, "        rng = rng if rng is not None else np.random.default_rng()\n"
      "        self.layers: list = []",
      "        rng = np.random.default_rng()\n        self.layers: list = []",
      "mlp", "nondeterministic", "MLP ignores its rng argument"),
    M("mlp-backward-skips-first", N, "        for layer in reversed(self.layers):",
      "        for layer in reversed(self.layers[1:]):", "mlp", "wrong-gradient",
      "MLP.backward never reaches the first layer"),
)

# -- bugs that only show inside the MLP, and seed bugs as students write them (issue 14) ----
#: Shape juggling: the orientation of W picked by whichever product "lines up". Right for
#: every non-square W, wrong (W, not W.T) for a square one such as hidden 64 -> 64.
SHAPE_PICKED_DX = ("        W = self.W if self.W.shape[0] == grad_out.shape[1] else self.W.T  "
                   "# make the shapes line up\n        return grad_out @ W")
LINEAR_DX = "        return grad_out @ self.W.T"
SIG_BACKWARD = "        return grad_out * s * (1.0 - s)"
SIG_FORWARD = "        self._out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"

LOCALISED_MUTANTS: tuple[Mutant, ...] = (
    M("mlp-square-dx-uses-W", L, LINEAR_DX, SHAPE_PICKED_DX, "mlp", "wrong-gradient",
      "Linear.backward picks W or W.T by matching shapes: W (not W.T) when W is square",
      hint="Linear 2 of 3, (64, 64) weights: dx uses W instead of W.T"),
    # The same bug seen by the Linear checks, now that they draw square W too.
    M("linear-square-dx-uses-W", L, LINEAR_DX, SHAPE_PICKED_DX, "linear", "wrong-gradient",
      "Linear.backward picks W or W.T by matching shapes (seen by the Linear checks)",
      hint="dx uses W instead of W.T"),
    # Cache written on the class (ReLU._mask), shared by every ReLU of the network: one
    # ReLU alone is right; in an MLP the first ReLU's backward uses the last one's mask.
    M("mlp-relu-class-cache", L, RELU_FORWARD,
      "        ReLU._mask = x > 0\n        return np.where(self._mask, x, 0.0)",
      "mlp", "wrong-gradient", "ReLU caches its mask on the class (ReLU._mask = ...)",
      hint="right when the layer runs alone"),
    MM("mlp-linear-class-cache", L, [
        ("        self._x = x\n        return x @ self.W + self.b",
         "        Linear.last_input = x\n        return x @ self.W + self.b"),
        ("        x = self._x\n", "        x = Linear.last_input\n")],
       "mlp", "wrong-gradient", "Linear caches its input on the class (Linear.last_input = x)",
       hint="Linear 2 of 3"),
    # Overflow at |x| ~ 1e3 in backward only (the forwards are the stable ones).
    MM("sigmoid-backward-exp-overflow", L, [
        (SIG_FORWARD, SIG_FORWARD + "        self._x = x\n"),
        (SIG_BACKWARD, "        e = np.exp(-self._x)\n        return grad_out * e / (1 + e) ** 2")],
       "sigmoid", "wrong-gradient", "sigmoid' as exp(-x) / (1 + exp(-x))**2: NaN for x << 0",
       hint="overflows to inf"),
    MM("tanh-backward-exp-formula", L, [
        (TANH_FORWARD, "        self._x = x\n        self._out = np.tanh(x)\n        return self._out"),
        (TANH_BACKWARD, "        t = (np.exp(self._x) - np.exp(-self._x)) / (np.exp(self._x) + "
                        "np.exp(-self._x))\n        return grad_out * (1 - t ** 2)")],
       "tanh", "wrong-gradient", "tanh' via (e^x - e^-x) / (e^x + e^-x): NaN for |x| > 710",
       hint="(e^x - e^-x) / (e^x + e^-x)"),
    # Seed bugs exactly as students write them.
    M("relu-gate-on-grad-product", L, RELU_BACKWARD, "        return grad_out * (grad_out > 0)",
      "relu", "relu-mask", "ReLU backward: grad_out * (grad_out > 0)", hint="(grad_out > 0)"),
    M("softmax-axis0-student", S, SOFTMAX_BODY,
      "    exps = np.exp(logits - np.max(logits))\n    return exps / np.sum(exps, axis=0)",
      "softmax", "softmax-axis", "softmax: exps / np.sum(exps, axis=0)", hint="axis=0, over the batch"),
    M("linear-init-randn-student", L,
      "rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)",
      "rng.standard_normal((in_features, out_features))", "linear", "init-scale",
      "W = rng.standard_normal((in, out)) without a scale", hint="scale random weights by the fan-in"),
)
MUTANTS = MUTANTS + LOCALISED_MUTANTS

# -- correct variants ------------------------------------------------------------------------
VARIANTS: tuple[Variant, ...] = (
    Variant("relu-mask-ge", ((L, (("self._mask = x > 0", "self._mask = x >= 0"),)),),
            "x >= 0 as the ReLU mask"),
    Variant("sigmoid-naive", ((L, ((
        "        e = np.exp(-np.abs(x))\n        self._out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "        self._out = 1 / (1 + np.exp(-x))"),)),),
            "1/(1+np.exp(-x)) sigmoid with overflow warnings"),
    Variant("sgd-rebind", ((O, ((SGD_W, "                layer.W = layer.W - self.lr * layer.dW\n"),
                               (SGD_B, "                layer.b = layer.b - self.lr * layer.db"))),),
            "SGD that rebinds W and b instead of updating in place"),
    Variant("linear-einsum", ((L, (
        ("        return x @ self.W + self.b", "        return np.einsum('ni,io->no', x, self.W) + self.b"),
        ("        self.dW = x.T @ grad_out", "        self.dW = np.einsum('ni,no->io', x, grad_out)"),
        ("        return grad_out @ self.W.T", "        return np.einsum('no,io->ni', grad_out, self.W)"),
        ("        self.db = grad_out.sum(axis=0)", "        self.db = np.einsum('no->o', grad_out)"))),),
            "einsum forward and gradients"),
    Variant("linear-transposed-products", ((L, (
        ("        self.dW = x.T @ grad_out", "        self.dW = (grad_out.T @ x).T"),
        ("        return grad_out @ self.W.T", "        return (self.W @ grad_out.T).T"),
        ("        self.db = grad_out.sum(axis=0)", "        self.db = np.ones(grad_out.shape[0]) @ grad_out"))),),
            "transposed-product gradients"),
    Variant("ce-onehot", ((S, (
        ("        return float(-log_p[np.arange(n), self._y].mean())",
         "        self._onehot = np.eye(logits.shape[1])[self._y]\n"
         "        return float(-(self._onehot * log_p).sum(axis=1).mean())"),
        ("        grad = self._probs.copy()  # a copy: the cached probabilities must survive\n"
         "        grad[np.arange(n), self._y] -= 1.0\n        return grad / n",
         "        return (self._probs - self._onehot) / n"))),),
            "one-hot cross-entropy"),
    Variant("init-xavier-uniform", ((L, ((
        "rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)",
        "rng.uniform(-np.sqrt(6.0 / (in_features + out_features)), "
        "np.sqrt(6.0 / (in_features + out_features)), size=(in_features, out_features))"),)),),
            "Xavier uniform init"),
    Variant("init-lecun-normal-small-bias", ((L, (
        ("rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)",
         "rng.normal(0.0, np.sqrt(1.0 / in_features), size=(in_features, out_features))"),
        ("        self.b = np.zeros(out_features)",
         "        self.b = rng.uniform(-0.01, 0.01, size=out_features)"))),),
            "LeCun normal init with a small random bias"),
    Variant("prints-progress", (
        (L, (("        self._x = x\n        return x @ self.W + self.b",
              "        print('Linear.forward', x.shape)\n        self._x = x\n        return x @ self.W + self.b"),
             ("        x = self._x\n", "        x = self._x\n        print('Linear.backward', grad_out.shape)\n"))),
        (N, (("        history.append(total / n)",
              "        history.append(total / n)\n        print(f'epoch loss {total / n:.4f}')"),)),
        (O, (("        for layer in self.layers:", "        print('step')\n        for layer in self.layers:"),))),
            "a student that prints progress"),
    Variant("extra-helpers", (
        (L, (("class ReLU:", "def _relu_mask(x):\n    return x > 0\n\n\nclass ReLU:"),
             ("        self._mask = x > 0", "        self._mask = _relu_mask(x)"),
             ("        self._x: np.ndarray | None = None\n",
              "        self._x: np.ndarray | None = None\n\n    def parameters(self):\n"
              "        return [self.W, self.b]\n\n    def __repr__(self):\n"
              "        return f'Linear({self.W.shape[0]}, {self.W.shape[1]})'\n"))),
        (N, (("    def predict(self, x: np.ndarray) -> np.ndarray:",
              "    def parameters(self):\n        return [p for l in self.layers if hasattr(l, 'W') "
              "for p in (l.W, l.b)]\n\n    def predict(self, x: np.ndarray) -> np.ndarray:"),))),
            "extra helper methods and functions"),
    Variant("cache-copies", (
        (L, (("        self._x = x\n        return x @ self.W + self.b",
              "        self._x = x.copy()\n        return x @ self.W + self.b"),
             ("        return self._out\n\n    def backward(self, grad_out: np.ndarray) -> np.ndarray:\n"
              "        s = self._out",
              "        return self._out.copy()\n\n    def backward(self, grad_out: np.ndarray) -> np.ndarray:\n"
              "        s = self._out"))),
        (S, (("        self._probs = np.exp(log_p)", "        self._probs = np.exp(log_p).copy()"),))),
            "caching via copies"),
    Variant("logsumexp-softmax", ((S, (
        (SOFTMAX_BODY,
         "    m = logits.max(axis=1, keepdims=True)\n"
         "    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))\n"
         "    return np.exp(logits - lse)"),
        (LOG_SOFTMAX_BODY,
         "    m = np.max(logits, axis=1, keepdims=True)\n"
         "    return logits - (m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True)))"))),),
            "np.clip-free stable softmax via logsumexp"),
    Variant("explicit-float64", (
        (L, (("        self._x = x\n        return x @ self.W + self.b",
              "        x = np.asarray(x, dtype=np.float64)\n        self._x = x\n"
              "        return (x @ self.W + self.b).astype(np.float64)"),
             ("        self.db = grad_out.sum(axis=0)",
              "        self.db = grad_out.astype(np.float64).sum(axis=0)"))),
        (S, (("        n = logits.shape[0]\n        self._probs",
              "        logits = np.asarray(logits, dtype=np.float64)\n        n = logits.shape[0]\n"
              "        self._probs"),))),
            "float64 explicit casts"),
    Variant("tanh-cosh-derivative", ((L, (
        (TANH_FORWARD, "        self._x = x\n        self._out = np.tanh(x)\n        return self._out"),
        (TANH_BACKWARD, "        return grad_out / np.cosh(self._x) ** 2"))),),
            "tanh' as 1 / cosh(x)**2 (overflow warnings for large x)"),
    Variant("sgd-isinstance", ((O, (
        ('            if hasattr(layer, "W") and hasattr(layer, "b"):',
         '            if getattr(layer, "W", None) is not None:'),)),),
            "SGD selecting layers with getattr"),
    Variant("mse-square-size", ((S, (
        ("        return float(np.mean(self._diff ** 2))",
         "        return float(np.square(self._diff).sum() / self._diff.size)"),
        ("        return 2.0 * self._diff / self._diff.size",
         "        n, k = self._diff.shape\n        return 2 * self._diff / (n * k)"))),),
            "MSE via np.square and an explicit N*K"),
    Variant("predict-argmax-softmax", ((N, (
        (FLAT_IMPORT, "    from losses import SoftmaxCrossEntropy, softmax  # type: ignore[no-redef]"),
        (REL_IMPORT, "    from .losses import SoftmaxCrossEntropy, softmax\n"),
        ("        return np.argmax(self.forward(x), axis=1)",
         "        return softmax(self.forward(x)).argmax(axis=1)"))),),
            "predict as argmax of the softmax probabilities"),
)


def materialize(dest: Path, edits: dict[str, tuple[tuple[str, str], ...]] | None = None,
                mutant: Mutant | None = None) -> Path:
    """Write reference/*.py (with the edits, then the mutant) into `dest`; returns dest."""
    make_submission(dest, {file: list(pairs) for file, pairs in (edits or {}).items()})
    if mutant is not None:
        path = dest / mutant.file
        path.write_text(mutant.apply(path.read_text()))
    return dest


def materialize_variant(dest: Path, variant: Variant) -> Path:
    merged: dict[str, tuple[tuple[str, str], ...]] = {}
    for file, pairs in variant.edits:
        merged[file] = merged.get(file, ()) + tuple(pairs)
    return materialize(dest, merged)
