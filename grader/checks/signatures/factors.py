"""Signatures of a constant factor: a result off by N, 1/N, 2, -1 from the reference, named in
the course's terms, and a loss reduced the wrong way (sum instead of mean).
"""

from __future__ import annotations

import numpy as np

from grader.checks.framework import diagnosis
from grader.checks.gradcheck import relative_error
from grader.results import Diagnosis


def constant_factor(actual: object, expected: object, residual: float = 1e-6) -> float | None:
    """c with actual ~= c * expected (least squares), if the fit explains actual; else None."""
    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    e = np.asarray(expected, dtype=np.float64).reshape(-1)
    if a.shape != e.shape or a.size == 0 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        return None
    ee = float(e @ e)
    if ee == 0.0:
        return None
    c = float(a @ e) / ee
    if relative_error(a, c * e) > residual or c == 0.0 and np.any(a != 0):
        return None
    return c


def _near(c: float, target: float, rtol: float = 1e-3) -> bool:
    return abs(c - target) <= rtol * abs(target)


def name_factor(c: float, *, n: int | None = None, size: int | None = None,
                k: int | None = None) -> str | None:
    """Name the constant: 'N', '1/N', '2', ... (None when it is none of the usual ones)."""
    named: list[tuple[float, str]] = []
    if n is not None and n > 1:
        named += [(n, "N"), (1.0 / n, "1/N"), (2.0 * n, "2N"), (1.0 / (2.0 * n), "1/(2N)")]
    if size is not None and size > 1 and size != n:
        named += [(size, "N*K"), (1.0 / size, "1/(N*K)")]
    if k is not None and k > 1 and k != size:
        named += [(k, "K"), (1.0 / k, "1/K")]
    named += [(2.0, "2"), (0.5, "1/2"), (-1.0, "-1")]
    for value, name in named:
        if _near(c, value):
            return name
    return None


def scale_signature(actual: object, expected: object, *, what: str, n: int | None = None,
                    size: int | None = None, k: int | None = None,
                    advice: dict[str, str] | None = None) -> Diagnosis | None:
    """actual = c * expected for a constant c != 1.

    c = -1 -> wrong-gradient (a sign error); any other constant -> gradient-scale,
    naming N / 1/N / 2 / 1/2 when the factor is one of those. `advice` maps a
    factor's name to a specific fix.
    """
    c = constant_factor(actual, expected)
    if c is None or abs(c) < 1e-3 or _near(c, 1.0, 1e-3):
        return None  # no constant, zero, or just round-off (precision_signature's job)
    name = name_factor(c, n=n, size=size, k=k)
    nonzero = int(np.count_nonzero(np.abs(np.asarray(expected, dtype=np.float64)) > 1e-12))
    if nonzero < 1 or (name is None and nonzero < 3):
        return None  # with one or two numbers, any difference "is" a constant factor
    advice = advice or {}
    if name == "-1" or _near(c, -1.0):
        return diagnosis("wrong-gradient", advice.get("-1", f"{what} has the opposite sign of the "
                         "true gradient: check the sign of each term (d(-log p) / dz = p - onehot)"))
    if name is None:
        return diagnosis("gradient-scale", advice.get("?", f"{what} is the correct gradient times "
                         f"{c:.4g}: look for a stray constant factor"))
    default = {
        "N": f"{what} is N times too large: divide by the batch size N (the loss is a mean)",
        "1/N": f"{what} is N times too small: it is divided by the batch size N once too often",
        "2": f"{what} is 2 times too large: look for a doubled term or a stray factor 2",
        "1/2": f"{what} is half the true gradient: the derivative of (p - t)**2 is 2 (p - t)",
        "N*K": f"{what} is N*K times too large: divide by the number of elements (the loss is a mean)",
        "1/(N*K)": f"{what} is N*K times too small: it is divided by the number of elements twice",
        "K": f"{what} is K times too large: divide by N*K, the number of elements, not by N",
        "1/K": f"{what} is K times too small: divide by N*K once, not by an extra K",
        "2N": f"{what} is 2N times too large: divide by the batch size N and drop the stray 2",
        "1/(2N)": f"{what} is 2N times too small: include the factor 2 and divide by N only once",
    }
    return diagnosis("gradient-scale", advice.get(name, default[name]))


def loss_reduction_signature(actual: float, expected: float, *, what: str, n: int,
                             size: int | None = None) -> Diagnosis | None:
    """Loss value = reference x N (summed over the batch) or x N*K (summed over every element)
    or x K (averaged over the batch only) -> loss-reduction."""
    if not np.isfinite(actual) or expected == 0.0:
        return None
    c = float(actual) / float(expected)
    candidates = {"N": n}
    if size is not None:
        candidates["N*K"] = size
        if n and size % n == 0:
            candidates["K"] = size // n
    for name, value in candidates.items():
        if value > 1 and _near(c, value, 1e-6):
            how = {"N": "summed over the batch", "N*K": "summed over every element",
                   "K": "averaged over the batch only, not over every element"}[name]
            return diagnosis("loss-reduction", f"{what} is {name} times the contract's value: it is "
                             f"{how}; return the mean (np.mean)")
    if n > 1 and _near(c, 1.0 / n, 1e-6):
        return diagnosis("loss-reduction", f"{what} is N times too small: it is divided by the "
                         "batch size twice")
    return None
