"""FullyConnectedNet with dropout in TRAIN mode (loss(X, y)): the course seeds every dropout
layer's param dict with the net's `seed`, and dropout_forward re-seeds NumPy from it, so each
layer's mask is the one the student's own dropout_forward draws for that seed and shape. The
grader takes those masks from dropout_forward itself (any way of drawing them is fine) and
compares the net's loss and grads with the reference net carrying the same masks."""

from __future__ import annotations

import numpy as np

from grader.checks import diagnose as D
from grader.checks.expect import expect_close
from grader.checks.framework import fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.adapters import student_loss
from grader.profiles.cs231n_fc.releases import require_assigned

KEEP, SEED = 0.6, 5


def seeded_masks(cs231n, p: float, n: int, widths: list[int]) -> list[np.ndarray] | None:
    """Each hidden layer's (N, H) mask (already divided by the keep probability), as the
    student's dropout_forward draws it from `SEED`; None if it ignores the seed."""
    masks = []
    for width in widths:
        param = {"p": p, "mode": "train", "seed": SEED}
        first = np.asarray(cs231n.out("dropout_forward", np.ones((n, width)), dict(param)))
        again = np.asarray(cs231n.out("dropout_forward", np.ones((n, width)), dict(param)))
        if not np.array_equal(first, again):
            return None
        masks.append(first)
    return masks


@tags("fc-net", "dropout")
@title("FullyConnectedNet: train-mode dropout loss and grads are right")
def test_fc_net_dropout_train_mode(cs231n, release, dropout_convention):
    """loss(X, y) with dropout and a seed is deterministic and equals the reference net with
    the same seeded masks: the loss and every gradient."""
    require_assigned(release, "dropout", "FullyConnectedNet's dropout")
    rng = np.random.default_rng(12)
    dims = [6, 5, 4, 3]
    params = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(0, 0.7, (a, b)), rng.normal(0, 0.3, b)
    X, y = rng.normal(0, 1, (8, dims[0])), rng.integers(0, dims[-1], 8)
    p = dropout_convention.p_for(KEEP)
    net = cs231n.net("FullyConnectedNet", dims[1:-1], input_dim=dims[0], num_classes=dims[-1],
                     dropout=p, weight_scale=1e-2, dtype="float64", seed=SEED)
    built = f"FullyConnectedNet({dims[1:-1]}, dropout {p:g}, seed={SEED})"
    first, second = student_loss(net, params, X, y), student_loss(net, params, X, y)
    loss = cs231n.scalar(first[0], what=f"{built}'s loss")
    masks = seeded_masks(cs231n, p, X.shape[0], dims[1:-1])
    if masks is None:
        fail("nondeterministic", f"{built}.loss(X, y) cannot be reproduced: dropout_forward "
             "ignores dropout_param['seed'] (see the dropout checks)", message=dropout_convention.fact)
    if not D.matches(loss, cs231n.scalar(second[0], what="loss"), rtol=1e-12):
        fail("nondeterministic", f"{built}.loss(X, y) gives two different losses for the same X "
             "and y: the net ignores its seed. Store it in self.dropout_param['seed'] (the course "
             "seeds each dropout layer's param dict) so every call drops the same units",
             message=dropout_convention.fact)
    want_loss, want_grads = R.net_loss(params, X, y, 0.0, masks=masks)
    if not D.matches(loss, want_loss, rtol=1e-8):
        plain = R.net_loss(params, X, y, 0.0)[0]
        if D.matches(loss, plain, rtol=1e-8):
            fail("dropout-mode", f"{built}.loss(X, y) equals the loss without dropout: in train "
                 "mode (y given) each hidden ReLU's output goes through dropout_forward",
                 message=dropout_convention.fact)
        expect_close(np.asarray(loss), np.asarray(want_loss), what=f"{built}'s loss",
                     formula="affine - relu - dropout - ... - affine - softmax_loss, with the "
                     "masks your dropout_forward draws for the seed", diagnosis_id="dropout-mode")
    grads = first[1]
    for name, want in want_grads.items():
        if not isinstance(grads, dict) or name not in grads:
            fail("missing-api", f"{built}'s grads has no '{name}': grads is keyed like params")
        got = D.require_array(grads[name], want.shape, what=f"{built}'s grads['{name}']")
        expect_close(got, want, what=f"{built}'s grads['{name}']", n=X.shape[0],
                     formula="backpropagation through dropout_backward with the forward's masks")
