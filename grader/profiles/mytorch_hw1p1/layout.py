"""Where MyTorch's components live and what the course calls things (profiles.md)."""

from __future__ import annotations

#: component -> the module that defines it (absolute package paths, as the handout imports them).
MODULES: dict[str, str] = {
    "linear": "mytorch.nn.linear",
    "activation": "mytorch.nn.activation",
    "loss": "mytorch.nn.loss",
    "batchnorm": "mytorch.nn.batchnorm",
    "sgd": "mytorch.optim.sgd",
    "mlp": "models.mlp",
}

ACTIVATIONS: tuple[str, ...] = ("Identity", "Sigmoid", "Tanh", "ReLU", "GELU", "Softmax")
#: MyTorch's models: widths of the Linear layers, each followed by a ReLU.
MODELS: dict[str, tuple[int, ...]] = {
    "MLP0": (2, 3),
    "MLP1": (2, 3, 2),
    "MLP4": (2, 4, 8, 8, 4, 2),
}
BATCHNORM_EPS = 1e-8

#: The grader's canonical words (in hints written once for every profile) -> MyTorch's.
VOCABULARY: dict[str, str] = {
    "dW": "dLdW",
    "db": "dLdb",
    "grad_out": "dLdZ",
    "SGD(layers, lr)": "SGD(model, lr)",
}
