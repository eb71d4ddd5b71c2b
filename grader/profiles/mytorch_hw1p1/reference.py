"""The trusted MyTorch reference, written here from the definitions in profiles.md.

Pure functions in the grader's canonical shapes (batch in rows; W (in, out), b (out,),
per-feature vectors (C,)): the adapters turn the student's MyTorch-shaped values into
these shapes before any comparison. Every gradient is of the loss as MyTorch defines
it: Linear's parameter gradients are *summed* over the batch (the 1/N lives in the
loss's gradient).
"""

from __future__ import annotations

import math

import numpy as np

from grader.profiles.mytorch_hw1p1.layout import BATCHNORM_EPS

_erf = np.vectorize(math.erf, otypes=[np.float64])


# -- Linear ----------------------------------------------------------------------------
def linear_forward(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A (N, in), W (in, out), b (out,) -> Z (N, out)."""
    return A @ W + b


def linear_backward(A: np.ndarray, W: np.ndarray, dLdZ: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (N, in), W (in, out), dLdZ (N, out) -> dLdA (N, in), dW (in, out), db (out,) summed."""
    return dLdZ @ W.T, A.T @ dLdZ, dLdZ.sum(axis=0)


# -- activations: forward(Z) -> A and backward(Z, dLdA) -> dLdZ, all (N, C) ----------------
def sigmoid(Z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def gelu(Z: np.ndarray) -> np.ndarray:
    return 0.5 * Z * (1.0 + _erf(Z / math.sqrt(2.0)))


def gelu_derivative(Z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(Z / math.sqrt(2.0))) + Z * np.exp(-0.5 * Z * Z) / math.sqrt(2.0 * math.pi)


def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_backward(Z: np.ndarray, dLdA: np.ndarray) -> np.ndarray:
    """Each row's Jacobian (diag(a) - a a^T) applied to its dLdA row."""
    A = softmax(Z)
    return A * (dLdA - (dLdA * A).sum(axis=1, keepdims=True))


def swish(Z: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """S26's Swish (SiLU with a learnable beta): Z * sigmoid(beta Z)."""
    return Z * sigmoid(beta * Z)


def swish_backward(Z: np.ndarray, dLdA: np.ndarray, beta: float = 1.0) -> tuple[np.ndarray, float]:
    """(dLdZ (N, C), dLdbeta summed over everything) of Swish at Z."""
    s = sigmoid(beta * Z)
    return dLdA * (s + beta * Z * s * (1.0 - s)), float(np.sum(dLdA * Z * Z * s * (1.0 - s)))


ACTIVATION_FORWARD = {
    "Identity": lambda Z: Z.copy(),
    "Sigmoid": sigmoid,
    "Tanh": np.tanh,
    "ReLU": lambda Z: np.maximum(Z, 0.0),
    "GELU": gelu,
    "Softmax": softmax,
}
ACTIVATION_BACKWARD = {
    "Identity": lambda Z, g: g.copy(),
    "Sigmoid": lambda Z, g: g * sigmoid(Z) * (1.0 - sigmoid(Z)),
    "Tanh": lambda Z, g: g * (1.0 - np.tanh(Z) ** 2),
    "ReLU": lambda Z, g: np.where(Z > 0, g, 0.0),
    "GELU": lambda Z, g: g * gelu_derivative(Z),
    "Softmax": softmax_backward,
}


# -- losses: A (N, C) and one-hot Y (N, C) -------------------------------------------------
def mse(A: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """SSE / (N C) and its gradient 2 (A - Y) / (N C)."""
    size = A.size
    return float(((A - Y) ** 2).sum() / size), 2.0 * (A - Y) / size


def cross_entropy(A: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over N of -sum_c Y log softmax(A), and (softmax(A) - Y) / N."""
    shifted = A - A.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = A.shape[0]
    return float(-(Y * log_p).sum() / n), (np.exp(log_p) - Y) / n


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """labels (N,) integers -> (N, classes) float64."""
    Y = np.zeros((labels.shape[0], classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


# -- SGD -------------------------------------------------------------------------------
def sgd_steps(params: list[np.ndarray], grads: list[list[np.ndarray]], lr: float,
              momentum: float) -> list[list[np.ndarray]]:
    """The parameters after each step: `grads[k]` is the gradient list at step k, aligned
    with `params`; velocities start at 0: v = mu v + g, p -= lr v (mu = 0: p -= lr g)."""
    current = [p.copy() for p in params]
    velocity = [np.zeros_like(p) for p in params]
    history = []
    for step in grads:
        for i, g in enumerate(step):
            velocity[i] = momentum * velocity[i] + g
            current[i] = current[i] - lr * velocity[i]
        history.append([p.copy() for p in current])
    return history


# -- BatchNorm1d: Z (N, C); BW, Bb, running_M, running_V (C,) ---------------------------------
def batchnorm_train(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, running_M: np.ndarray,
                    running_V: np.ndarray, alpha: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training mode: BZ (N, C) from the batch statistics, and the new running_M, running_V."""
    M, V = Z.mean(axis=0), Z.var(axis=0)
    NZ = (Z - M) / np.sqrt(V + BATCHNORM_EPS)
    return BW * NZ + Bb, alpha * running_M + (1 - alpha) * M, alpha * running_V + (1 - alpha) * V


def batchnorm_eval(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, running_M: np.ndarray,
                   running_V: np.ndarray) -> np.ndarray:
    return BW * (Z - running_M) / np.sqrt(running_V + BATCHNORM_EPS) + Bb


def batchnorm_backward(Z: np.ndarray, BW: np.ndarray, dLdBZ: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training mode: dLdZ (N, C), dLdBW (C,) and dLdBb (C,), both summed over the batch."""
    M, V = Z.mean(axis=0), Z.var(axis=0)
    inv_std = 1.0 / np.sqrt(V + BATCHNORM_EPS)
    NZ = (Z - M) * inv_std
    dNZ = dLdBZ * BW
    # The compact form of the chain through the batch mean and variance.
    dLdZ = inv_std * (dNZ - dNZ.mean(axis=0) - NZ * (dNZ * NZ).mean(axis=0))
    return dLdZ, (dLdBZ * NZ).sum(axis=0), dLdBZ.sum(axis=0)


# -- MLPs: Linear, ReLU, ..., Linear, ReLU --------------------------------------------------
Params = list[tuple[np.ndarray, np.ndarray]]


def mlp_forward(params: Params, A0: np.ndarray) -> list[np.ndarray]:
    """Every pre-activation's input: [A0, A1, ..., AL] (ReLU after every Linear)."""
    activations = [A0]
    for W, b in params:
        activations.append(np.maximum(linear_forward(activations[-1], W, b), 0.0))
    return activations


def mlp_backward(params: Params, A0: np.ndarray, dLdAL: np.ndarray
                 ) -> tuple[np.ndarray, Params]:
    """dLdA0 and [(dW, db) per Linear] for the ReLU MLP."""
    activations = mlp_forward(params, A0)
    grads: Params = []
    g = dLdAL
    for i in range(len(params) - 1, -1, -1):
        W, b = params[i]
        Z = linear_forward(activations[i], W, b)
        g = np.where(Z > 0, g, 0.0)
        dA, dW, db = linear_backward(activations[i], W, g)
        grads.append((dW, db))
        g = dA
    grads.reverse()
    return g, grads
