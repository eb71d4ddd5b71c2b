"""Root causes: the failed checks of one submission grouped by the bug that explains them.

One bug fails many checks (a ReLU gated on the gradient fails four ReLU checks,
three MLP checks and the training checks), so every report tells it once: one
*cause* per distinct diagnosis, listing the checks it failed. Causes are ranked
so that the bug comes before what it does:

- tier 0, a named bug (`relu-mask`, `softmax-axis`, `shape-mismatch`, ...);
- tier 1, a difference no signature explains (`wrong-forward`, `wrong-gradient`);
- tier 2, where the code broke rather than why (`crash`, `timeout`, `memory-limit`);
- tier 3, what a bug does to training (`no-learning`, `single-class-collapse`, ...).

Checks share a cause when their root diagnoses match after taking out where and the numbers
("Linear 1 of 3's db has shape (1, 1)" and "Linear 1's db has shape (16, 64)"); an
unexplained difference is one cause per function, a training symptom one per id.

A cause of tier 2 or 3 is listed under the root cause that explains it ("and
therefore: no-learning, single-class-collapse") when its own text quotes that
cause (the training checks replay the layers and quote the bug they find), or,
marked as *probable*, when only training checks show it while a named bug sits
in a component training uses.

Works on any check object with `diagnoses` (items with `id` and `hint`),
`message`, `status`, `tags` and `passed`: the results model and the reports'
cleaned views alike, so the class report and every writer rank the same way.

The package in four rooms: `tiers` (how far a diagnosis is from the bug), `hints` (how a
hint reads: where, about what, what it observes, what to do), `links` (which cause
explains another) and `grouping` (the checks into ranked causes). Its names are
imported from here.
"""

from __future__ import annotations

from grader.causes.grouping import (
    ONE_PER_CLASS_IDS, ONE_PER_NAME_IDS, Cause, group_causes, root_cause_ids,
)
from grader.causes.hints import fix, headline, normalised, observation_first, subject, without_location
from grader.causes.links import TRAINING_TAGS
from grader.causes.tiers import AFTERMATH_IDS, GENERIC_IDS, SYMPTOM_IDS, root_diagnosis, tier

__all__ = [
    "AFTERMATH_IDS", "GENERIC_IDS", "ONE_PER_CLASS_IDS", "ONE_PER_NAME_IDS", "SYMPTOM_IDS", "TRAINING_TAGS",
    "Cause", "fix", "group_causes", "headline", "normalised", "observation_first", "root_cause_ids",
    "root_diagnosis", "subject", "tier", "without_location",
]
