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
    """One step of an update rule; `config` holds the defaults already (copied, not edited)."""
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
        return w - lr * dw / (np.sqrt(cache) + c["epsilon"]), c
    if rule == "adam":
        t = c.get("t", 0) + 1  # incremented before the bias corrections
        m = c["beta1"] * c.get("m", np.zeros_like(w)) + (1 - c["beta1"]) * dw
        v = c["beta2"] * c.get("v", np.zeros_like(w)) + (1 - c["beta2"]) * dw ** 2
        c.update(t=t, m=m, v=v)
        m_hat, v_hat = m / (1 - c["beta1"] ** t), v / (1 - c["beta2"] ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + c["epsilon"]), c
    raise ValueError(f"unknown update rule {rule}")


def net_loss(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray | None, reg: float,
             masks: list[np.ndarray] | None = None) -> tuple[float, Params] | np.ndarray:
    """An affine-ReLU-...-affine-softmax net with params W1..WL (in, out), b1..bL (out,), no
    normalisation; `masks` (train-mode dropout): one (N, H_i) array per hidden layer, already
    divided by the keep probability, multiplied into each ReLU's output. Returns scores (N, C)
    when y is None, else (loss, grads) with the regulariser 0.5 * reg * sum(W**2) over weights."""
    depth = sum(1 for k in params if k.startswith("W"))
    h, inputs = flat(X), []
    for i in range(1, depth + 1):
        inputs.append(h)
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < depth:
            h = relu_forward(h) * (masks[i - 1] if masks else 1.0)
    if y is None:
        return h
    loss, dh = softmax_loss(h, y)
    grads: Params = {}
    for i in range(depth, 0, -1):
        W, a = params[f"W{i}"], inputs[i - 1]
        loss += 0.5 * reg * float(np.sum(W * W))
        grads[f"W{i}"], grads[f"b{i}"] = a.T @ dh + reg * W, dh.sum(axis=0)
        # a > 0 where the unit is both active and kept; the mask carries the 1/keep scaling.
        dh = (dh @ W.T) * (a > 0) * (masks[i - 2] if masks else 1.0) if i > 1 else dh @ W.T
    return loss, grads
