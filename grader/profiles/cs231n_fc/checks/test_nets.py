"""CS231n classifiers/fc_net.py: TwoLayerNet and FullyConnectedNet.

The grader builds the student's net, replaces its params by its own float64 values (the net
is built with dtype "float64" so nothing is cast to float32), and compares scores, loss and
every gradient with reference.py and with central differences of the student's own loss.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.expect import expect_close
from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.adapters import LAYERS, student_loss, student_losses
from grader.profiles.cs231n_fc.checks.cases import net_cases, random_params
from grader.profiles.cs231n_fc.layout import NORMALIZATION_KEYWORDS
from grader.profiles.cs231n_fc.releases import require_assigned


def row_as_vector(value, shape: tuple[int, ...]):
    """A bias (or its gradient) kept as a (1, n) row where (n,) is expected, read as (n,):
    it broadcasts the same way and the notebooks' checks accept it (2017 TwoLayerNets)."""
    if (isinstance(value, np.ndarray) and len(shape) == 1 and value.shape == (1, shape[0])):
        return value.reshape(shape)
    return value


def build(cs231n, cls: str, dims: list[int], reg: float, normalization: str | None = None):
    """(the student's net, how messages name it); (None, _) for a normalisation the year's
    code lacks: no `{normalization}_forward` in layers.py, or no keyword for it."""
    if cls == "TwoLayerNet":
        return cs231n.net(cls, input_dim=dims[0], hidden_dim=dims[1], num_classes=dims[2],
                          weight_scale=1e-2, reg=reg), cls
    kwargs = dict(input_dim=dims[0], num_classes=dims[-1], reg=reg, weight_scale=1e-2, dtype="float64")
    if normalization is None:
        return cs231n.net(cls, dims[1:-1], **kwargs), cls
    if not cs231n.has(LAYERS, f"{normalization}_forward"):
        return None, cls
    found = cs231n.new_with_keyword(cls, (dims[1:-1],), kwargs, list(NORMALIZATION_KEYWORDS[normalization]))
    return (None, cls) if found is None else (found[0], f"{cls}({found[1]})")


def check_params(net, dims: list[int], cls: str, normalized: bool = False) -> None:
    """params holds W1..WL (in, out) and b1..bL (out,); normalised, also gamma1..gamma(L-1)
    (ones) and beta1..beta(L-1) (zeros), one per hidden layer, at initialisation."""
    params = net.get("params")
    if not isinstance(params, dict):
        fail("missing-api", f"{cls}.params must be a dict of arrays")
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        expected = [(f"W{i}", (a, b), None), (f"b{i}", (b,), None)]
        if normalized and i < len(dims) - 1:
            expected += [(f"gamma{i}", (b,), 1.0), (f"beta{i}", (b,), 0.0)]
        for name, shape, start in expected:
            if name not in params:
                fail("missing-api", f"{cls}.params has no '{name}' (keys {sorted(params)}): "
                     "weights W1..WL (in, out), biases b1..bL (out,)"
                     + (", and gamma_i, beta_i for each hidden layer i" if normalized else ""))
            value = D.require_array(row_as_vector(params[name], shape), shape,
                                    what=f"{cls}.params['{name}']")
            if start is not None and not np.array_equal(value, np.full(shape, start)):
                fail("init-scale", f"{cls}.params['{name}'] starts at {D.fmt(value)}: gamma starts "
                     "at ones and beta at zeros, so the normalised layer begins as the identity")


def gradient_floor(grads: R.Params, normalization: str | None) -> float:
    """The absolute scale gradients are compared on. A bias feeding a batchnorm has a zero
    gradient (the batch mean removes it), so its round-off is judged against the net's
    largest gradient, not its own ~1e-17."""
    return max(G.max_abs(g) for g in grads.values()) if normalization else G.ATOL


def check_loss_and_grads(cs231n, cls: str, case, normalization: str | None = None) -> None:
    dims, params, X, y, reg = case
    net, cls = build(cs231n, cls, dims, reg, normalization)
    if net is None:
        return  # a year without this normalisation: its points are not at stake
    check_params(net, dims, cls, normalized=normalization is not None)
    # Batchnorm's loss(X) is test mode: running statistics, which the grader does not set.
    if normalization != "batchnorm":
        scores = student_loss(net, params, X, None)
        expect_close(scores, R.net_loss(params, X, None, reg, normalization),
                     what=f"{cls}.loss(X)'s scores", diagnosis_id="wrong-forward",
                     formula=f"affine - {normalization + ' - ' if normalization else ''}relu - ... "
                             "- affine, no softmax")
    result = student_loss(net, params, X, y)
    if type(result) is not list or len(result) != 2 or not isinstance(result[1], dict):
        fail("missing-api", f"{cls}.loss(X, y) must return (loss, grads) with grads a dict")
    loss, grads = cs231n.scalar(result[0], what=f"{cls}'s loss"), result[1]
    want_loss, want_grads = R.net_loss(params, X, y, reg, normalization)
    floor = gradient_floor(want_grads, normalization)
    penalty = sum(0.5 * reg * float(np.sum(params[k] ** 2)) for k in params if k.startswith("W"))
    if not D.matches(loss, want_loss, rtol=1e-8):
        if reg and D.matches(loss, want_loss - penalty, rtol=1e-8):
            fail("regularization", f"{cls}'s loss leaves out the regulariser 0.5 * reg * sum(W**2)")
        for name in (k for k in params if k.startswith("W")) if reg else ():
            if D.matches(loss, want_loss - 0.5 * reg * float(np.sum(params[name] ** 2)), rtol=1e-8):
                fail("regularization", f"{cls}'s loss leaves {name} out of the regulariser "
                     "0.5 * reg * sum(W**2), which sums over every layer's weights "
                     "(a loop over range(1, num_layers) stops one layer short)",
                     course_misses="the notebook's gradient check passes: the loss and its "
                                   "gradient leave out the same weights")
        if reg and any(D.matches(loss, want_loss + c * penalty, rtol=1e-8) for c in (1.0, -0.5)):
            fail("regularization", f"{cls}'s loss has the regulariser with the wrong factor: it is "
                 "0.5 * reg * sum(W**2) over the weights only")
        expect_close(np.asarray(loss), np.asarray(want_loss), what=f"{cls}'s loss",
                     formula="mean softmax loss + 0.5 * reg * sum(W**2)", diagnosis_id="wrong-forward")
    for name, want in want_grads.items():
        if name not in grads:
            fail("missing-api", f"{cls}'s grads has no '{name}': grads is keyed like params")
        got = D.require_array(row_as_vector(grads[name], want.shape), want.shape,
                              what=f"{cls}'s grads['{name}']")
        if name.startswith("W") and reg and not D.matches(got, want, rtol=1e-8):
            for c, how in ((0.0, "leaves out"), (2.0, "doubles"), (0.5, "halves")):
                if D.matches(got, want + (c - 1.0) * reg * params[name], rtol=1e-8):
                    fail("regularization", f"{cls}'s grads['{name}'] {how} the regulariser's "
                         "gradient reg * W")
        expect_close(got, want, what=f"{cls}'s grads['{name}']", n=X.shape[0], atol=floor,
                     formula=f"backpropagation through affine - {normalization or 'relu'} - ... "
                             "- softmax_loss")


def check_numerical(cs231n, cls: str, case, normalization: str | None = None) -> None:
    dims, params, X, y, reg = case
    net, cls = build(cs231n, cls, dims, reg, normalization)
    if net is None:
        return  # a year without this normalisation
    loss, grads = student_loss(net, params, X, y)
    analytic, numeric = {}, {}
    for name, value in params.items():
        def f(vs, name=name):
            return [cs231n.scalar(result[0], what="loss")
                    for result in student_losses(net, [{**params, name: v} for v in vs], X, y)]
        analytic[name] = row_as_vector(grads.get(name), value.shape)
        numeric[name] = G.numeric_vjp_each(f, value, 1.0, analytic=analytic[name])
    floor = gradient_floor(numeric, normalization)
    for name, want in numeric.items():
        expect_close(analytic[name], want, what=f"{cls}'s grads['{name}']", atol=floor,
                     formula="the gradient of your own loss", rtol=G.NUMERIC_RTOL,
                     expected_from="central differences of your loss")


@title("TwoLayerNet: params, scores, loss and grads")
@tags("two-layer-net")
@S.share(0.3)
@given(case=net_cases(max_depth=2))
def test_two_layer_net(cs231n, case):
    """TwoLayerNet: params W1 (D, H), b1, W2 (H, C), b2; scores; loss and grads with 0.5 reg W^2."""
    check_loss_and_grads(cs231n, "TwoLayerNet", case)


@title("TwoLayerNet: grads match numerical gradients")
@tags("two-layer-net")
@S.share(0.1, at_least=3)
@given(case=net_cases(max_depth=2, max_width=3))
def test_two_layer_net_numerical(cs231n, case):
    """TwoLayerNet's grads agree with central differences of its own loss."""
    check_numerical(cs231n, "TwoLayerNet", case)


@title("FullyConnectedNet: params, scores, loss and grads")
@tags("fc-net")
@S.share(0.3)
@given(case=net_cases())
def test_fc_net(cs231n, case):
    """FullyConnectedNet of any depth: params, scores, loss and every gradient, with reg."""
    check_loss_and_grads(cs231n, "FullyConnectedNet", case)


@title("FullyConnectedNet: grads match numerical gradients")
@tags("fc-net")
@S.share(0.1, at_least=3)
@given(case=net_cases(max_width=3))
def test_fc_net_numerical(cs231n, case):
    """FullyConnectedNet's grads agree with central differences of its own loss."""
    check_numerical(cs231n, "FullyConnectedNet", case)


@title("FullyConnectedNet: no dropout in test mode")
@tags("fc-net", "dropout")
def test_fc_net_dropout_test_mode(cs231n, release):
    """With dropout, loss(X) (y None: test mode) is deterministic and equals the net without it."""
    require_assigned(release, "dropout", "FullyConnectedNet's dropout")
    rng = np.random.default_rng(11)
    dims = [5, 4, 4, 3]
    params = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(0, 0.7, (a, b)), rng.normal(0, 0.3, b)
    X = rng.normal(0, 1, (6, 5))
    net = cs231n.net("FullyConnectedNet", dims[1:-1], input_dim=5, num_classes=3, dropout=0.5,
                     weight_scale=1e-2, dtype="float64", seed=123)
    scores = student_loss(net, params, X, None)
    try:
        expect_close(scores, R.net_loss(params, X, None, 0.0), what="scores in test mode",
                     formula="dropout is the identity at test time (inverted dropout)",
                     diagnosis_id="dropout-mode")
    except CheckFailure as exc:
        raise CheckFailure(D.diagnosis("dropout-mode", "FullyConnectedNet.loss(X) (test mode) "
                                       "still drops units or scales them: at test time inverted "
                                       "dropout is the identity"), message=exc.message) from exc


@title("FullyConnectedNet with {normalization}: params, loss and gradients")
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
@tags("fc-net")
@S.share(0.2)
@given(case=net_cases(normalized=True))
def test_fc_net_normalized(cs231n, release, normalization, case):
    """normalization="batchnorm"|"layernorm" (2019 on) or use_batchnorm=True (2017-2018):
    gamma_i ones and beta_i zeros per hidden layer; train-mode loss and every gradient."""
    require_assigned(release, normalization, f"FullyConnectedNet with {normalization}")
    check_loss_and_grads(cs231n, "FullyConnectedNet", case, normalization)


@title("FullyConnectedNet with {normalization}: numerical gradients agree")
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
@tags("fc-net")
@S.share(0.1, at_least=3)
@given(case=net_cases(max_width=3, normalized=True))
def test_fc_net_normalized_numerical(cs231n, release, normalization, case):
    """The normalised net's grads agree with central differences of its own train-mode loss."""
    require_assigned(release, normalization, f"FullyConnectedNet with {normalization}")
    check_numerical(cs231n, "FullyConnectedNet", case, normalization)


def scores_in_test_mode(net, params: R.Params, X: np.ndarray, eps_outside: bool = False
                     ) -> np.ndarray | None:
    """The scores batchnorm's test mode gives with the running statistics the student's own
    net keeps in `bn_params` (one dict per hidden layer); None when it keeps none (a net that
    never ran batchnorm_forward in train mode)."""
    bn_params = net.get("bn_params")
    depth = sum(1 for k in params if k.startswith("W"))
    if not isinstance(bn_params, list) or len(bn_params) < depth - 1:
        return None
    h = X.reshape(X.shape[0], -1)
    for i in range(1, depth):
        stats = bn_params[i - 1]
        if not isinstance(stats, dict) or not {"running_mean", "running_var"} <= set(stats):
            return None
        a = h @ params[f"W{i}"] + params[f"b{i}"]
        var, eps = np.asarray(stats["running_var"]), float(stats.get("eps", 1e-5))
        # eps outside the root: a placement batchnorm_forward's own check accepts.
        std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
        normed = (a - np.asarray(stats["running_mean"])) / std
        h = np.maximum(params[f"gamma{i}"] * normed + params[f"beta{i}"], 0)
    return h @ params[f"W{depth}"] + params[f"b{depth}"]


@title("FullyConnectedNet with batchnorm: test mode uses running stats")
@tags("fc-net", "batchnorm")
def test_fc_net_batchnorm_test_mode(cs231n, release):
    """After a training step, loss(X) (y None) scores each sample on its own: batchnorm in
    test mode normalises with the running statistics, not the batch's."""
    require_assigned(release, "batchnorm", "FullyConnectedNet with batchnorm")
    rng = np.random.default_rng(12)
    dims = [5, 4, 4, 3]
    net, cls = build(cs231n, "FullyConnectedNet", dims, 0.0, "batchnorm")
    if net is None:
        return  # a year without batchnorm
    params, X = random_params(rng, dims, normalized=True), rng.normal(0, 1, (6, 5))
    student_loss(net, params, X, rng.integers(0, 3, 6))  # fills the running statistics
    scores = D.require_array(student_loss(net, params, X, None), (6, 3), what=f"{cls}.loss(X)")
    pair = D.require_array(student_loss(net, params, X[:2], None), (2, 3), what=f"{cls}.loss(X[:2])")
    want = scores_in_test_mode(net, params, X)
    outside = scores_in_test_mode(net, params, X, eps_outside=True)
    if want is None or not (D.matches(scores, want, rtol=1e-6) or D.matches(scores, outside, rtol=1e-6)):
        fail("eval-mode", f"{cls}.loss(X) (test mode) does not normalise each hidden layer with its "
             "bn_params' running_mean and running_var: when y is None set every bn_param's mode "
             "to 'test' and pass it to batchnorm_forward",
             message=f"loss(X): {D.fmt(scores)}\nexpected from your running statistics: {D.fmt(want)}")
    if not D.matches(pair, scores[:2], rtol=1e-8):
        fail("eval-mode", f"{cls}.loss(X) (test mode) scores a sample differently with other samples "
             "in the batch: when y is None set every bn_param's mode to 'test', so batchnorm_forward "
             "uses running_mean and running_var", message=f"first two rows of loss(X): {D.fmt(scores[:2])}"
             f"\nloss(X[:2]): {D.fmt(pair)}")
