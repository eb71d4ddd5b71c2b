"""Training bugs (and correct variants) as text edits of reference/*.py.

Each mutant names the diagnosis ids of which at least one must appear, and the
`primary` id that must appear; each variant must pass every training check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grading_helpers import Edits

L, S, O, N = "layers.py", "losses.py", "optim.py", "network.py"

HE_INIT = ("        self.W = rng.standard_normal((in_features, out_features)) * "
           "np.sqrt(2.0 / in_features)")
PERMUTE = "        order = rng.permutation(n)"
TRAIN_RNG = ("    rng = rng if rng is not None else np.random.default_rng()\n"
             "    loss_fn = SoftmaxCrossEntropy()")
BATCH_LOOP = "        for start in range(0, n, batch_size):\n            batch = order[start:start + batch_size]"
BACKWARD_CALL = "            model.backward(loss_fn.backward())\n"
SGD_CTOR = "    optimizer = SGD(model.layers, lr=lr)"
EPOCH_LOOP = "    for _ in range(epochs):"
HISTORY = "        history.append(total / n)"

# Linear with Python loops over samples: correct, but ~50x slower than the reference.
SLOW_FORWARD = ("        self._x = x\n        return x @ self.W + self.b",
                "        self._x = x\n"
                "        out = np.empty((x.shape[0], self.W.shape[1]))\n"
                "        for i in range(x.shape[0]):\n"
                "            for j in range(self.W.shape[1]):\n"
                "                out[i, j] = x[i] @ self.W[:, j] + self.b[j]\n"
                "        return out")
SLOW_BACKWARD = ("        self.dW = x.T @ grad_out\n",
                 "        self.dW = np.zeros_like(self.W)\n"
                 "        for i in range(x.shape[0]):\n"
                 "            self.dW += np.outer(x[i], grad_out[i])\n")


@dataclass(frozen=True)
class Case:
    name: str
    edits: Edits
    primary: str | None = None                     # id that must be reported (None: must pass)
    rubric: dict = field(default_factory=dict)     # training overrides of the temp rubric
    bug: str = ""


MUTANTS: tuple[Case, ...] = (
    Case("zero-init", {L: [(HE_INIT, "        self.W = np.zeros((in_features, out_features))")]},
         "init-symmetric", bug="W initialised to zeros"),
    Case("unscaled-randn-init", {L: [(HE_INIT, "        self.W = rng.standard_normal((in_features, "
                                               "out_features))")]},
         "init-scale", bug="W = randn without the fan-in scaling"),
    Case("lr-ignored", {N: [(SGD_CTOR, "    optimizer = SGD(model.layers, lr=0.1)")]},
         "ignores-hyperparameters", bug="train() always uses lr=0.1"),
    Case("lr-1e-6", {N: [(SGD_CTOR, "    optimizer = SGD(model.layers, lr=1e-6)")]},
         "no-learning", bug="train() always uses lr=1e-6"),
    Case("full-batch-10-steps", {N: [(EPOCH_LOOP, "    for _ in range(10):"),
                                     (BATCH_LOOP, "        for start in range(0, n, n):\n"
                                                  "            batch = order[start:start + n]")]},
         "too-few-updates", bug="10 full-batch steps whatever epochs/batch_size say"),
    Case("returns-array", {N: [("\n    return history\n", "\n    return np.array(history)\n")]},
         "missing-api", bug="train() returns an ndarray, not the contract's list of floats"),
    Case("no-shuffle", {N: [(PERMUTE, "        order = np.arange(n)")]},
         "no-shuffle", bug="batches taken in data order"),
    Case("shuffle-once", {N: [(EPOCH_LOOP, "    order = rng.permutation(n)\n    for _ in range(epochs):"),
                              (PERMUTE + "\n", "")]},
         "no-shuffle", bug="one permutation before the epoch loop"),
    Case("forgotten-backward", {N: [(BACKWARD_CALL, "")]},
         "no-learning", bug="train() never calls model.backward"),
    Case("sum-not-mean", {S: [("        return float(-log_p[np.arange(n), self._y].mean())",
                               "        return float(-log_p[np.arange(n), self._y].sum())"),
                              ("        return grad / n", "        return grad")]},
         "loss-reduction", bug="CE summed over the batch (value and gradient)"),
    Case("gradient-ascent", {O: [("                layer.W -= self.lr * layer.dW",
                                  "                layer.W += self.lr * layer.dW"),
                                 ("                layer.b -= self.lr * layer.db",
                                  "                layer.b += self.lr * layer.db")]},
         "optimizer-direction", bug="W += lr * dW"),
    Case("rng-ignored", {N: [(PERMUTE, "        order = np.random.permutation(n)")]},
         "nondeterministic", bug="shuffles with the global np.random"),
    Case("epochs-ignored", {N: [(EPOCH_LOOP, "    for _ in range(5):")]},
         "ignores-hyperparameters", bug="always 5 epochs"),
    Case("batch-size-ignored", {N: [(BATCH_LOOP, "        for start in range(0, n, 32):\n"
                                                 "            batch = order[start:start + 32]")]},
         "ignores-hyperparameters", bug="batches of 32 whatever batch_size says"),
)

SLOW = Case("sample-loop-slow", {L: [SLOW_FORWARD, SLOW_BACKWARD]}, "too-slow",
            rubric={"time_budget_s": 2.0}, bug="Linear loops over samples and units in Python")

VARIANTS: tuple[Case, ...] = (
    Case("reference", {}),
    Case("prints-progress", {N: [(HISTORY, HISTORY + "\n        print(f'epoch {_ + 1}/{epochs}: loss "
                                           "{history[-1]:.4f}', flush=True)")]}),
    Case("permuted-arrays", {N: [(PERMUTE + "\n", "        order = rng.permutation(n)\n"
                                                  "        Xs, ys = X[order], y[order]\n"),
                                 ("            loss = loss_fn.forward(model.forward(X[batch]), y[batch])",
                                  "            sl = slice(start, start + batch_size)\n"
                                  "            loss = loss_fn.forward(model.forward(Xs[sl]), ys[sl])")]}),
    Case("reversed-batches-drop-last", {N: [(BATCH_LOOP, "        starts = list(range(0, n - batch_size + 1, "
                                                         "batch_size))[::-1]\n"
                                                         "        for start in starts:\n"
                                                         "            batch = order[start:start + batch_size]"),
                                            (HISTORY, "        history.append(total / max(1, len(starts) * "
                                                      "batch_size))")]}),
    # ceil(N/B) near-equal batches of at most B rows: batch_size read correctly (issue 14).
    Case("array-split-batches", {N: [(BATCH_LOOP, "        for batch in np.array_split(order, "
                                                  "-(-n // batch_size)):\n            batch = batch")]}),
    Case("xavier-init", {L: [(HE_INIT, "        self.W = rng.standard_normal((in_features, out_features)) "
                                       "* np.sqrt(1.0 / in_features)")]}),
    Case("uniform-init", {L: [(HE_INIT, "        bound = 1.0 / np.sqrt(in_features)\n"
                                        "        self.W = rng.uniform(-bound, bound, (in_features, "
                                        "out_features))")]}),
    Case("small-randn-init", {L: [(HE_INIT, "        self.W = 0.01 * rng.standard_normal((in_features, "
                                            "out_features))")]}),
)
