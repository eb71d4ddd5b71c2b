"""The trusted CS231n fully-connected components, in the course's own conventions
(weights (in, out), biases (out,), mean losses, `rule(w, dw, config)`), float64 throughout.

Written from profiles.md's facts; this is what the student's values are compared with.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

Params = dict[str, np.ndarray]


def flat(x: np.ndarray) -> np.ndarray:
    """x (N, d1, ..., dk) -> (N, d1*...*dk): each sample flattened."""
    return x.reshape(x.shape[0], -1)


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, d1..dk), w (D, M), b (M,) -> out (N, M)."""
    return flat(x) @ w + b


def affine_backward(x: np.ndarray, w: np.ndarray, dout: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M) -> dx (shaped like x), dw (D, M), db (M,) summed over the batch."""
    return (dout @ w.T).reshape(x.shape), flat(x).T @ dout, dout.sum(axis=0)


def relu_forward(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def relu_backward(x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """dout gated on x > 0 (the input, not dout)."""
    return dout * (x > 0)


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """x (N, C) scores, y (N,) integer labels -> mean loss, dx (N, C) already divided by N."""
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1.0
    return float(-logp[np.arange(n), y].mean()), dx / n


def svm_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Multiclass hinge with margin 1, mean over N; dx (N, C) divided by N."""
    n = x.shape[0]
    margins = np.maximum(0.0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0.0
    positive = (margins > 0).astype(np.float64)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return float(margins.sum() / n), positive / n


def update(rule: str, w: np.ndarray, dw: np.ndarray, config: dict) -> tuple[np.ndarray, dict]:
    """One step of an update rule; `config` holds the defaults already (copied, not edited).
    Adam with `config["folded"]` true: the efficient form with the corrections in the step;
    RMSProp with `config["eps_inside"]` true: sqrt(cache + eps) instead of sqrt(cache) + eps."""
    c = dict(config)
    lr = c["learning_rate"]
    if rule == "sgd":
        return w - lr * dw, c
    if rule == "sgd_momentum":
        v = c["momentum"] * c.get("velocity", np.zeros_like(w)) - lr * dw
        c["velocity"] = v
        return w + v, c
    if rule == "rmsprop":
        cache = c["decay_rate"] * c.get("cache", np.zeros_like(w)) + (1 - c["decay_rate"]) * dw ** 2
        c["cache"] = cache
        if c.get("eps_inside"):
            # epsilon under the root, as many submissions write it: the notebook's check
            # (errors around 1e-7) cannot tell the two apart, so the course accepts it.
            return w - lr * dw / np.sqrt(cache + c["epsilon"]), c
        return w - lr * dw / (np.sqrt(cache) + c["epsilon"]), c
    if rule == "adam":
        t = c.get("t", 0) + 1  # incremented before the bias corrections
        m = c["beta1"] * c.get("m", np.zeros_like(w)) + (1 - c["beta1"]) * dw
        v = c["beta2"] * c.get("v", np.zeros_like(w)) + (1 - c["beta2"]) * dw ** 2
        c.update(t=t, m=m, v=v)
        if c.get("folded"):
            # The form some course staff write (Kingma & Ba's section 2 efficient version): the
            # bias corrections in the step size, epsilon on sqrt(v) rather than sqrt(v_hat).
            step = lr * np.sqrt(1 - c["beta2"] ** t) / (1 - c["beta1"] ** t)
            return w - step * m / (np.sqrt(v) + c["epsilon"]), c
        m_hat, v_hat = m / (1 - c["beta1"] ** t), v / (1 - c["beta2"] ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + c["epsilon"]), c
    raise ValueError(f"unknown update rule {rule}")


# -- normalisation: x (N, D); gamma, beta, running statistics (D,) --------------------------
BN_EPS, BN_MOMENTUM = 1e-5, 0.9
#: The axis each normalisation takes its statistics over: batchnorm per feature (over the
#: batch), layernorm per sample (over the features).
NORM_AXIS: dict[str, int] = {"batchnorm": 0, "layernorm": 1}


def normalize(x: np.ndarray, axis: int, eps: float = BN_EPS) -> tuple[np.ndarray, np.ndarray]:
    """x (N, D) -> (x_hat (N, D), std) with the biased variance over `axis`; std keeps dims."""
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    return (x - x.mean(axis=axis, keepdims=True)) / std, std


def norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, axis: int,
                 eps: float = BN_EPS) -> np.ndarray:
    """Train-mode batchnorm (axis 0) or layernorm (axis 1): gamma * x_hat + beta, (N, D)."""
    return gamma * normalize(x, axis, eps)[0] + beta


def running_stats(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray,
                  momentum: float = BN_MOMENTUM) -> tuple[np.ndarray, np.ndarray]:
    """bn_param's running_mean, running_var (D,) after one training batch x (N, D)."""
    return (momentum * running_mean + (1 - momentum) * x.mean(axis=0),
            momentum * running_var + (1 - momentum) * x.var(axis=0))


def batchnorm_test(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                   running_var: np.ndarray, eps: float = BN_EPS) -> np.ndarray:
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def norm_backward(x: np.ndarray, gamma: np.ndarray, dout: np.ndarray, axis: int,
                  eps: float = BN_EPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,) of the train-mode forward.

    The mean and variance depend on x: their terms are the two means subtracted below."""
    x_hat, std = normalize(x, axis, eps)
    g = dout * gamma
    dx = (g - g.mean(axis=axis, keepdims=True)
          - x_hat * (g * x_hat).mean(axis=axis, keepdims=True)) / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def net_loss(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray | None, reg: float,
             normalization: str | None = None,
             masks: list[np.ndarray] | None = None) -> tuple[float, Params] | np.ndarray:
    """An affine-[norm]-ReLU-[dropout]-...-affine-softmax net with params W1..WL (in, out),
    b1..bL (out,) and, when normalised, gamma1..gamma(L-1), beta1.. (out,); train mode.
    `masks` (train-mode dropout): one (N, H_i) array per hidden layer, already divided by the
    keep probability, multiplied into each ReLU's output. Returns scores (N, C) when y is
    None, else (loss, grads) with the regulariser 0.5 * reg * sum(W**2) over weights only."""
    depth = sum(1 for k in params if k.startswith("W"))
    axis = NORM_AXIS.get(normalization or "")
    h, saved = flat(X), []  # saved[i-1]: layer i's input, affine output, normalised output
    for i in range(1, depth + 1):
        a = h @ params[f"W{i}"] + params[f"b{i}"]
        z = a if axis is None or i == depth else norm_forward(a, params[f"gamma{i}"],
                                                               params[f"beta{i}"], axis)
        saved.append((h, a, z))
        h = relu_forward(z) * (masks[i - 1] if masks else 1.0) if i < depth else z
    if y is None:
        return h
    loss, da = softmax_loss(h, y)
    grads: Params = {}
    for i in range(depth, 0, -1):
        W, (inp, _, _) = params[f"W{i}"], saved[i - 1]
        loss += 0.5 * reg * float(np.sum(W * W))
        grads[f"W{i}"], grads[f"b{i}"] = inp.T @ da + reg * W, da.sum(axis=0)
        da = da @ W.T
        if i > 1:
            _, a, z = saved[i - 2]
            # z > 0 where the unit is active; a dropout mask also carries the 1/keep scaling.
            da = da * (z > 0) * (masks[i - 2] if masks else 1.0)
            if axis is not None:
                da, grads[f"gamma{i - 1}"], grads[f"beta{i - 1}"] = norm_backward(
                    a, params[f"gamma{i - 1}"], da, axis)
    return loss, grads
