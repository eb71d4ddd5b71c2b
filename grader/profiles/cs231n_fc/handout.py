"""What a CS231n student writes for the fully-connected nets, in the handout's order (the
first-run report): the layers, then the nets in fc_net.py, then the update rules in optim.py,
then what the later notebooks ask for (batch/layer normalisation, dropout); the 2016-2020
assignment1's TwoLayerNet (neural_net.py) on its own. Which parts a year assigns is its
release's (releases.py); a part some years ship written (the losses in the 2016-2020
assignment2, the update rule sgd) never counts as the student's start.
"""

from __future__ import annotations

from grader.profiles.base import HandoutStep, Release
from grader.profiles.cs231n_fc import releases
from grader.profiles.cs231n_fc.layout import MODULES

LAYERS, FC_NET, OPTIM = MODULES["layers"], MODULES["fc_net"], MODULES["optim"]

#: (component tag, module, names), in the order the notebooks ask for them.
PARTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("affine", LAYERS, ("affine_forward", "affine_backward")),
    ("relu", LAYERS, ("relu_forward", "relu_backward")),
    ("losses", LAYERS, ("svm_loss", "softmax_loss")),
    ("two-layer-net", FC_NET, ("TwoLayerNet.__init__", "TwoLayerNet.loss")),
    ("fc-net", FC_NET, ("FullyConnectedNet.__init__", "FullyConnectedNet.loss")),
    ("update-rules", OPTIM, ("sgd_momentum", "rmsprop", "adam")),
    ("batchnorm", LAYERS, ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt")),
    ("layernorm", LAYERS, ("layernorm_forward", "layernorm_backward")),
    ("dropout", LAYERS, ("dropout_forward", "dropout_backward")),
    ("neural-net", MODULES["neural_net"], ("TwoLayerNet.loss", "TwoLayerNet.predict")),
)
#: Written in some years' handouts: the losses (2016-2020 assignment2), batchnorm_backward_alt
#: (optional in every year).
MAYBE_GIVEN = frozenset({"svm_loss", "softmax_loss", "batchnorm_backward_alt"})
#: The nets' constructors: their result is the params dict (the rest are the handout's
#: settings); their loss: what it returns (it sets the dropout and batchnorm modes itself).
PRODUCTS = {"TwoLayerNet.__init__": ("params",), "FullyConnectedNet.__init__": ("params",),
            "TwoLayerNet.loss": (), "FullyConnectedNet.loss": ()}


def order(release: Release | None) -> tuple[HandoutStep, ...]:
    """The steps `release` assigns, consecutive parts of one file merged into one step."""
    assigned = release.assigned if release is not None else releases.EVERYTHING.assigned
    without_svm = release is not None and release.name in releases.WITHOUT_SVM
    steps: list[HandoutStep] = []
    for tag, module, names in PARTS:
        if assigned is not None and tag not in assigned:
            continue
        if without_svm:
            names = tuple(n for n in names if n != "svm_loss")
        if steps and steps[-1].module == module:
            names = steps.pop().names + names
        steps.append(HandoutStep(module, names, MAYBE_GIVEN & frozenset(names),
                                 {n: PRODUCTS[n] for n in names if n in PRODUCTS}))
    return tuple(steps)
