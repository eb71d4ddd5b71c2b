"""The report's vocabulary: component tags and diagnosis ids (docs: diagnoses.md).

Ids may be added, never renamed: instructors' gradebooks and students' searches
key on them. tests/checks/test_vocabulary.py holds this file to the catalog.
"""

from __future__ import annotations

#: Every check carries one or more of these; the first is the component its points belong to.
TAGS: tuple[str, ...] = (
    "api", "linear", "relu", "sigmoid", "tanh", "softmax", "cross-entropy", "mse",
    "sgd", "mlp", "training", "robustness", "performance",
    # Components of assignment profiles (README "Grading an existing assignment").
    "activations", "identity", "gelu", "losses", "momentum", "batchnorm", "mlp0", "mlp1", "mlp4",
    "affine", "dropout", "update-rules", "two-layer-net", "fc-net", "layernorm", "neural-net",
)

DIAGNOSIS_IDS: frozenset[str] = frozenset({
    "import-error", "missing-api", "crash", "timeout", "memory-limit", "shape-mismatch",
    "dtype", "wrong-forward", "wrong-gradient", "gradient-scale", "bias-gradient-not-summed",
    "relu-mask", "activation-derivative-applied-twice", "softmax-axis", "softmax-overflow",
    "double-softmax", "binary-cross-entropy", "loss-reduction", "batch-dependence",
    "input-mutation", "stale-gradient", "optimizer-direction", "optimizer-skips-parameters",
    "optimizer-update", "init-scale", "init-symmetric", "nondeterministic", "no-learning",
    "single-class-collapse", "divergence", "too-few-updates", "ignores-hyperparameters",
    "no-shuffle", "accuracy-below-threshold", "too-slow", "forbidden-import", "tampering",
    # Bug classes of profile components (README "Grading an existing assignment").
    "momentum-state", "running-statistics", "eval-mode",
    "config-state", "dropout-mode", "regularization",
})
