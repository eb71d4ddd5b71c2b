"""Pure statistics of a trained classifier, computed in the grader's process.

Nothing here talks to the worker: inputs are plain arrays the grader already
holds (labels, predictions, logits), outputs are numbers and small dataclasses
that the checks turn into verdicts and report artifacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

N_CLASSES = 10

# Predictions "concentrate on one class" when one class takes this many more
# points of the predictions than of the labels (balanced MNIST: >= 50% of the
# predictions for a class that is 10% of the labels).
COLLAPSE_EXCESS = 0.4


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """logits (N, C) -> (N, C) log-probabilities; finite for any finite logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean softmax cross-entropy of logits (N, C) against integer labels y (N,).

    inf/NaN logits give inf (never raise): a diverged network has infinite loss.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[0] != len(y) or logits.shape[0] == 0:
        raise ValueError(f"logits of shape {logits.shape} for {len(y)} labels")
    if not np.all(np.isfinite(logits)):
        return math.inf
    with np.errstate(all="ignore"):
        value = float(-log_softmax(logits)[np.arange(len(y)), np.asarray(y)].mean())
    return value if math.isfinite(value) else math.inf


def cross_entropy_grad(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d(mean CE)/d(logits): (N, C) = (softmax - onehot) / N."""
    n = logits.shape[0]
    p = np.exp(log_softmax(np.asarray(logits, dtype=np.float64)))
    p[np.arange(n), np.asarray(y)] -= 1.0
    return p / n


def _as_labels(values: np.ndarray) -> np.ndarray:
    """values: (N,) class ids of any numeric dtype -> (N,) int64.

    A float that is not a whole number (or not finite) is no class at all:
    it becomes -1, which matches no label, instead of being truncated onto one.
    """
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64, copy=False)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (arr == np.round(arr))
    return np.where(whole, arr, -1).astype(np.int64)


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Fraction of pred (N,) equal to y (N,); 0.0 when the shapes differ or N == 0.

    A student's predict() may return the wrong shape, which scikit-learn
    would raise on: that is a wrong answer here, not a grader error.
    """
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.shape != y.shape or y.size == 0 or pred.ndim != 1:
        return 0.0
    # Counted with NumPy, not sklearn.metrics: the same value (a count over N, both exact
    # in float64), without the ~2 s import of scikit-learn in every grading run.
    return float(np.mean(_as_labels(y) == _as_labels(pred)))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """(n_classes, n_classes) int64: rows are true classes, columns predicted ones.

    y_true, y_pred: (N,) integer class ids. A sample whose true or predicted class
    is outside [0, n_classes) is not counted (a row then sums to less than the
    class's count), as scikit-learn's confusion_matrix with ``labels`` does.
    """
    y_true, y_pred = _as_labels(y_true), _as_labels(y_pred)
    known = (y_true >= 0) & (y_true < n_classes) & (y_pred >= 0) & (y_pred < n_classes)
    cells = np.bincount(y_true[known] * n_classes + y_pred[known], minlength=n_classes * n_classes)
    return cells.reshape(n_classes, n_classes).astype(np.int64, copy=False)


def per_class_recall_precision(y_true: np.ndarray, y_pred: np.ndarray,
                               n_classes: int = N_CLASSES) -> tuple[list[float], list[float]]:
    """Per-class recall and precision, each a list of n_classes floats in [0, 1].

    y_true, y_pred: (N,) integer class ids. A class never predicted has
    precision 0 (not NaN), and a class absent from the labels has recall 0:
    the row that tells a student which digits the network never outputs.
    The same figures as sklearn.metrics.precision_recall_fscore_support with
    zero_division=0 (a test holds them equal), from the confusion matrix.
    """
    y_true, y_pred = _as_labels(y_true), _as_labels(y_pred)
    counts = confusion_matrix(y_true, y_pred, n_classes)
    hits = np.diag(counts).astype(np.float64)
    # Denominators count every sample of a class, even one paired with an unknown class.
    labelled = np.bincount(y_true[(y_true >= 0) & (y_true < n_classes)], minlength=n_classes)
    predicted = np.bincount(y_pred[(y_pred >= 0) & (y_pred < n_classes)], minlength=n_classes)
    recall = np.divide(hits, labelled, out=np.zeros(n_classes), where=labelled > 0)
    precision = np.divide(hits, predicted, out=np.zeros(n_classes), where=predicted > 0)
    return [float(r) for r in recall], [float(p) for p in precision]


@dataclass
class CollapseStats:
    """How the predictions spread over the classes, against the labels."""

    predicted_histogram: list[int]
    label_histogram: list[int]
    top_class: int
    top_fraction: float          # share of predictions that go to top_class
    top_label_fraction: float    # share of labels that are top_class
    n_predicted_classes: int     # classes predicted at least once
    n_label_classes: int
    collapsed: bool = field(default=False)
    recall: list[float] = field(default_factory=list)     # per class
    precision: list[float] = field(default_factory=list)  # per class; 0 for a class never predicted

    @property
    def never_predicted(self) -> list[int]:
        """Classes present in the labels that the network never outputs (recall 0, no predictions)."""
        return [c for c, (p, n) in enumerate(zip(self.predicted_histogram, self.label_histogram))
                if n > 0 and p == 0]

    def describe(self) -> str:
        text = (f"{self.top_fraction:.0%} of the test predictions are class {self.top_class}, "
                f"which is {self.top_label_fraction:.0%} of the labels; "
                + (f"only 1 of the {self.n_label_classes} classes is ever predicted" if self.n_predicted_classes == 1
                   else f"{self.n_predicted_classes} of {self.n_label_classes} classes are ever predicted"))
        missing = self.never_predicted
        if missing and len(missing) < self.n_label_classes:
            text += f" (never: {', '.join(map(str, missing))})"
        return text


def collapse_stats(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = N_CLASSES,
                   excess: float = COLLAPSE_EXCESS) -> CollapseStats:
    """Histogram of predicted classes against the label distribution.

    y_true, y_pred: (N,) integer class ids.
    Collapsed when one class takes at least `excess` more of the predictions
    than of the labels, or when only one class is ever predicted while the
    labels hold several. These shares have no scikit-learn equivalent; the
    per-class recall and precision come from `per_class_recall_precision`.
    """
    y_true = _as_labels(y_true)
    y_pred = _as_labels(y_pred)
    valid = (y_pred >= 0) & (y_pred < n_classes)
    pred_hist = np.bincount(y_pred[valid], minlength=n_classes)[:n_classes]
    label_hist = np.bincount(y_true, minlength=n_classes)[:n_classes]
    n = max(len(y_pred), 1)
    top = int(np.argmax(pred_hist))
    top_fraction = float(pred_hist[top] / n)
    top_label_fraction = float(label_hist[top] / max(len(y_true), 1))
    n_pred_classes = int(np.count_nonzero(pred_hist))
    n_label_classes = int(np.count_nonzero(label_hist))
    collapsed = (top_fraction - top_label_fraction >= excess) or (
        n_pred_classes <= 1 and n_label_classes > 1)
    recall, precision = (per_class_recall_precision(y_true, y_pred, n_classes)
                         if len(y_true) and len(y_true) == len(y_pred) else ([], []))
    return CollapseStats(pred_hist.astype(int).tolist(), label_hist.astype(int).tolist(), top,
                         top_fraction, top_label_fraction, n_pred_classes, n_label_classes,
                         collapsed, recall, precision)


def finite_history(history: object) -> list[float]:
    """The student's returned loss history as plain floats (non-numbers dropped), for reports."""
    if isinstance(history, np.ndarray):
        history = history.ravel().tolist()
    if not isinstance(history, (list, tuple)):
        return []
    out: list[float] = []
    for value in history:
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            out.append(float(value))
    return out


def json_floats(values: list[float]) -> list[float | None]:
    """inf/NaN become None so the list stays valid JSON."""
    return [v if math.isfinite(v) else None for v in values]


def history_problem(history: object, epochs: int) -> str:
    """What is wrong with train()'s return value against the contract (one finite mean loss
    per epoch, as a list of `epochs` floats); "" when it complies."""
    if history is None:
        return "train() returns None"
    if not isinstance(history, list):
        kind = "NumPy array" if isinstance(history, np.ndarray) else type(history).__name__
        return f"train() returns {_a(kind)}, not a list"
    if len(history) != epochs:
        return f"train(epochs={epochs}) returns {len(history)} value{'s' if len(history) != 1 else ''}"
    for i, value in enumerate(history):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            return f"train()'s value for epoch {i + 1} is {_a(type(value).__name__)}, not a float"
        if not math.isfinite(float(value)):
            return f"train()'s loss for epoch {i + 1} is {float(value)}"
    return ""


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
