"""How far a diagnosis is from the bug: the four tiers causes are ranked by.

- tier 0, a named bug (`relu-mask`, `softmax-axis`, `shape-mismatch`, ...);
- tier 1, a difference no signature explains (`wrong-forward`, `wrong-gradient`);
- tier 2, where the code broke rather than why (`crash`, `timeout`, `memory-limit`);
- tier 3, what a bug does to training (`no-learning`, `single-class-collapse`, ...).
"""

from __future__ import annotations

from typing import Any, Sequence

#: What a bug does to training, not the bug itself.
SYMPTOM_IDS = frozenset({"no-learning", "single-class-collapse", "accuracy-below-threshold", "divergence"})
#: Where code broke, not why.
AFTERMATH_IDS = frozenset({"crash", "timeout", "memory-limit"})
#: The fallbacks a check names when no signature explains the difference.
GENERIC_IDS = frozenset({"wrong-forward", "wrong-gradient"})


def tier(diagnosis_id: str) -> int:
    """0 a named bug, 1 an unexplained difference, 2 a crash or time-out, 3 a training symptom."""
    if diagnosis_id in SYMPTOM_IDS:
        return 3
    if diagnosis_id in AFTERMATH_IDS:
        return 2
    return 1 if diagnosis_id in GENERIC_IDS else 0


def root_diagnosis(diagnoses: Sequence[Any]) -> Any | None:
    """The diagnosis that names the bug: the first of the lowest tier (None if there is none)."""
    if not diagnoses:
        return None
    return min(diagnoses, key=lambda d: tier(d.id))  # min keeps the first of equal tiers
