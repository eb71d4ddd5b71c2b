"""What the student's training loop did, reconstructed from the worker's spy logs.

The worker records, per call of a watched method, the argument shapes and a
per-row fingerprint of the first array argument (`grader.sandbox.spy`). From
the logs of `forward` and `backward` this module derives, without trusting
anything the student returns:

- the mini-batches in training order, as row indices of the data the grader
  passed (matched by fingerprint), and their split into epochs;
- the number of backward passes (parameter updates) and their batch sizes;
- verdicts: too few updates, ignored `epochs`/`batch_size`, no reshuffling.

All functions are pure: logs in, dataclasses out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from grader.sandbox.spy import fingerprint

# Two fingerprints are the same row when they agree to this relative tolerance
# (the worker's BLAS may round the dot product differently for another batch size).
FP_RTOL = 1e-9


class FingerprintTable:
    """Maps row fingerprints back to row indices of the data the grader sent."""

    def __init__(self, X: np.ndarray) -> None:
        fps = fingerprint(np.asarray(X, dtype=np.float64))
        self.order = np.argsort(fps, kind="stable")
        self.sorted = fps[self.order]
        self.n = len(fps)

    def match(self, fps: np.ndarray | None) -> np.ndarray:
        """(k,) fingerprints -> (k,) row indices, -1 where no row matches."""
        if fps is None:
            return np.zeros(0, dtype=np.int64)
        q = np.asarray(fps, dtype=np.float64).ravel()
        if self.n == 0 or q.size == 0:
            return np.full(q.size, -1, dtype=np.int64)
        pos = np.searchsorted(self.sorted, q)
        best = np.full(q.size, -1, dtype=np.int64)
        best_err = np.full(q.size, np.inf)
        for cand in (pos - 1, pos):
            ok = (cand >= 0) & (cand < self.n)
            c = np.clip(cand, 0, self.n - 1)
            with np.errstate(invalid="ignore"):
                err = np.abs(self.sorted[c] - q)
            better = ok & (err < best_err)
            best[better] = self.order[c[better]]
            best_err[better] = err[better]
        tol = FP_RTOL * np.maximum(1.0, np.abs(q))
        best[~(best_err <= tol)] = -1
        return best


def rows_of(entry: dict[str, Any]) -> int | None:
    """Leading dimension of the first positional argument of a logged call."""
    shapes = entry.get("arg_shapes") or []
    first = shapes[0] if shapes else None
    if not first:
        kw = entry.get("kwarg_shapes") or {}
        first = next((s for s in kw.values() if s), None)
    return int(first[0]) if first else None


def training_forwards(forward_log: list[dict[str, Any]], backward_rows: list[int]) -> list[dict[str, Any]]:
    """The forward calls that fed a backward pass: the longest in-order match of row counts.

    Evaluation forwards (e.g. predict on the whole set to print progress) are
    skipped because no backward of that size follows them. Without backward
    calls, every forward counts.
    """
    if not backward_rows:
        return list(forward_log)
    picked: list[dict[str, Any]] = []
    j = 0
    for entry in forward_log:
        if j < len(backward_rows) and rows_of(entry) == backward_rows[j]:
            picked.append(entry)
            j += 1
    return picked


def split_epochs(batches: list[np.ndarray], epochs: int, n: int) -> list[list[np.ndarray]]:
    """Group training batches (row-index arrays) into epochs.

    Equal chunks when the number of batches divides by `epochs`; otherwise a new
    epoch starts when a row repeats within the current one or every row was seen.
    """
    if not batches:
        return []
    if epochs > 0 and len(batches) % epochs == 0:
        k = len(batches) // epochs
        return [batches[i:i + k] for i in range(0, len(batches), k)]
    groups: list[list[np.ndarray]] = [[]]
    seen: set[int] = set()
    for batch in batches:
        ids = {int(i) for i in batch if i >= 0}
        if groups[-1] and (ids & seen or len(seen) >= n):
            groups.append([])
            seen = set()
        groups[-1].append(batch)
        seen |= ids
    return groups


@dataclass
class Trace:
    """The training loop as the grader saw it."""

    n: int
    epochs: int
    batch_size: int
    forward_calls: int
    backward_calls: int
    backward_rows: list[int]
    batches: list[np.ndarray] = field(default_factory=list)   # row indices per training step
    matched_fraction: float = 0.0

    @property
    def expected_updates(self) -> int:
        return self.epochs * math.ceil(self.n / self.batch_size)

    @property
    def modal_batch(self) -> int | None:
        if not self.backward_rows:
            return None
        counts = Counter(self.backward_rows)
        # The most common size; ties go to the larger one (a short last batch loses).
        return max(counts, key=lambda size: (counts[size], size))

    def summary(self) -> str:
        sizes = Counter(self.backward_rows)
        shown = ", ".join(f"{size} rows x{count}" for size, count in sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
        return (f"{self.forward_calls} forward and {self.backward_calls} backward passes for "
                f"epochs={self.epochs}, batch_size={self.batch_size} on {self.n} samples "
                f"(expected {self.expected_updates} mini-batches)" + (f"; batch sizes: {shown}" if shown else ""))


def build_trace(forward_log: list[dict[str, Any]], backward_log: list[dict[str, Any]], *,
                table: FingerprintTable | None, n: int, epochs: int, batch_size: int) -> Trace:
    backward_rows = [r for r in (rows_of(e) for e in backward_log) if r is not None]
    fwd = training_forwards(forward_log, backward_rows)
    batches: list[np.ndarray] = []
    matched = total = 0
    if table is not None:
        for entry in fwd:
            idx = table.match(entry.get("fingerprint"))
            batches.append(idx)
            matched += int(np.count_nonzero(idx >= 0))
            total += idx.size
    return Trace(n=n, epochs=epochs, batch_size=batch_size, forward_calls=len(forward_log),
                 backward_calls=len(backward_log), backward_rows=backward_rows, batches=batches,
                 matched_fraction=matched / total if total else 0.0)


@dataclass
class Verdict:
    """A finding: a diagnosis id and the sentence for the student (None id = fine)."""

    id: str | None
    hint: str = ""
    more: list[tuple[str, str]] = field(default_factory=list)  # further (id, hint) pairs

    @property
    def ok(self) -> bool:
        return self.id is None


OK = Verdict(None)


def update_verdict(trace: Trace, *, per_sample_steps: bool | None = None) -> Verdict:
    """Too few updates / ignored batch_size / ignored epochs, from the backward passes.

    `per_sample_steps`: when every backward pass holds one row but batch_size > 1,
    whether the weights are stepped after each of them (True: batch_size ignored)
    or the gradients are accumulated over the mini-batch (False: correct, only
    slow); None when unknown (then no verdict on batch size is given).
    """
    expected = trace.expected_updates
    observed = trace.backward_calls
    B, n, E = trace.batch_size, trace.n, trace.epochs
    modal = trace.modal_batch
    per_epoch = math.ceil(n / B)
    if observed == 0:
        return Verdict("too-few-updates",
                       f"train() made no backward pass at all in {E} epochs on {n} samples: call "
                       "model.backward(loss.backward()) and then the optimizer's step() for every "
                       "mini-batch")
    if modal == 1 and B > 1:
        if per_sample_steps is None or not per_sample_steps:
            return OK  # samples one by one, gradients accumulated per batch: slow, not wrong
        return Verdict("ignores-hyperparameters",
                       f"train() updates the weights after every single sample ({observed} updates) "
                       f"instead of once per mini-batch of batch_size={B} ({expected} updates)")
    size_ignored = (modal is not None and modal != B and not (modal == n and B >= n)
                    and not _near_equal_split(modal, n, B))
    if observed < 0.5 * expected:
        hint = (f"train() makes {observed} parameter update{'s' if observed != 1 else ''} in {E} "
                f"epochs where mini-batch SGD makes {expected} ({E} x ceil({n}/{B})): it must loop "
                f"over mini-batches of batch_size inside every epoch")
        if modal is not None and modal >= n:
            hint += f" (every update used all {n} samples: that is full-batch gradient descent)"
        more = []
        if size_ignored:
            more.append(("ignores-hyperparameters",
                         f"train() used batches of {modal} rows when called with batch_size={B}"))
        return Verdict("too-few-updates", hint, more)
    if size_ignored:
        return Verdict("ignores-hyperparameters",
                       f"train() used batches of {modal} rows when called with batch_size={B}: "
                       "slice each mini-batch with the batch_size argument")
    if observed > 1.5 * expected:
        return Verdict("ignores-hyperparameters",
                       f"train() made {observed} updates, {observed / per_epoch:.1f} epochs' worth, when "
                       f"called with epochs={E}: loop for the epochs argument, not a fixed count")
    return OK


def _near_equal_split(modal: int, n: int, B: int) -> bool:
    """Batches of np.array_split(order, ceil(n / B)): ceil(n / B) near-equal batches of at most
    B rows (n // k or n // k + 1 each). A correct reading of batch_size, not an ignored one."""
    k = math.ceil(n / B)
    return modal <= B and n // k <= modal <= -(-n // k)


def epochs_verdict(updates_one: int, updates_two: int) -> Verdict:
    """Backward passes with epochs=1 and with epochs=2 (same data): the second must double."""
    if updates_one <= 0:
        return OK  # reported by update_verdict
    ratio = updates_two / updates_one
    if abs(ratio - 2.0) <= 0.25:
        return OK
    return Verdict("ignores-hyperparameters",
                   f"train() made {updates_one} updates with epochs=1 and {updates_two} with epochs=2 "
                   "(expected twice as many): use the epochs argument as the number of passes over the data")


@dataclass
class ShuffleStats:
    epochs_seen: int
    purity: float                 # mean share of a batch taken by its most common class
    repeated_fraction: float      # share of later-epoch batches identical to epoch 1's at that position
    order_preserved: float        # share of batches whose rows are in increasing data order and contiguous


def shuffle_stats(epoch_batches: list[list[np.ndarray]], labels: np.ndarray) -> ShuffleStats:
    purities: list[float] = []
    contiguous = total = 0
    for epoch in epoch_batches:
        for batch in epoch:
            idx = batch[batch >= 0]
            if idx.size >= 2:
                counts = np.bincount(labels[idx])
                purities.append(float(counts.max() / idx.size))
                total += 1
                if np.all(np.diff(idx) == 1):
                    contiguous += 1
    repeated = compared = 0
    if len(epoch_batches) >= 2:
        first = [frozenset(b[b >= 0].tolist()) for b in epoch_batches[0]]
        for epoch in epoch_batches[1:]:
            for pos, batch in enumerate(epoch):
                if pos < len(first) and first[pos]:
                    compared += 1
                    repeated += int(frozenset(batch[batch >= 0].tolist()) == first[pos])
    return ShuffleStats(len(epoch_batches), float(np.mean(purities)) if purities else 0.0,
                        repeated / compared if compared else 0.0,
                        contiguous / total if total else 0.0)


# On class-sorted data (10 classes), shuffled batches of >= 10 rows are ~20-30% one
# class; unshuffled ones ~90-100%.
PURITY_LIMIT = 0.6
REPEAT_LIMIT = 0.5


def shuffle_verdict(stats: ShuffleStats, *, batch_size: int) -> Verdict:
    pure = stats.purity >= PURITY_LIMIT
    repeated = stats.epochs_seen >= 2 and stats.repeated_fraction >= REPEAT_LIMIT
    if pure and (repeated or stats.epochs_seen < 2):
        return Verdict("no-shuffle",
                       f"train() never shuffles: on class-sorted data a batch of {batch_size} is on "
                       f"average {stats.purity:.0%} one digit; draw a new order with "
                       "rng.permutation(N) at the start of every epoch and slice batches from it")
    if repeated:
        return Verdict("no-shuffle",
                       f"train() uses the same mini-batches in every epoch ({stats.repeated_fraction:.0%} "
                       "of them repeat): shuffle once per epoch, inside the epoch loop, with rng")
    if pure:
        return Verdict("no-shuffle",
                       f"on class-sorted data train()'s batches are on average {stats.purity:.0%} one "
                       "digit: it shuffles the order of contiguous batches but not the samples; permute "
                       "the sample indices, then slice mini-batches")
    return OK


def class_sorted_subset(y: np.ndarray, per_class: int, n_classes: int = 10) -> np.ndarray:
    """Row indices: the first `per_class` rows of each class, class 0 first (sorted by label)."""
    parts = [np.flatnonzero(y == c)[:per_class] for c in range(n_classes)]
    return np.concatenate([p for p in parts if p.size]).astype(np.int64)


def weights_equal(a: Sequence[tuple[np.ndarray, np.ndarray]], b: Sequence[tuple[np.ndarray, np.ndarray]],
                  rtol: float = 1e-10, atol: float = 1e-12) -> bool:
    if len(a) != len(b):
        return False
    for (Wa, ba), (Wb, bb) in zip(a, b):
        if Wa.shape != Wb.shape or ba.shape != bb.shape:
            return False
        if not (np.allclose(Wa, Wb, rtol=rtol, atol=atol, equal_nan=True)
                and np.allclose(ba, bb, rtol=rtol, atol=atol, equal_nan=True)):
            return False
    return True
