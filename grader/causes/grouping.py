"""The failed checks of one submission grouped into ranked root causes (see grader.causes).

Checks share a cause when their root diagnoses match after taking out where and the numbers
("Linear 1 of 3's db has shape (1, 1)" and "Linear 1's db has shape (16, 64)"); an
unexplained difference is one cause per function, a training symptom one per id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Sequence, TypeVar

from grader.causes.hints import normalised
from grader.causes.links import explaining_root, same_bug_root, training_only
from grader.causes.tiers import root_diagnosis, tier


class _Check(Protocol):
    diagnoses: Sequence[Any]  # items with `id` and `hint` (Diagnosis, DiagnosisView)
    message: str
    status: str
    tags: Sequence[str]

    @property
    def passed(self) -> bool: ...


C = TypeVar("C", bound=_Check)


@dataclass
class Cause(Generic[C]):
    """One bug and the checks it failed (in report order).

    `diagnosis` is None for checks that failed without naming one (their message is the key).
    `symptoms`: causes this one explains, `explained_by` the reverse link; `probable` on a
    symptom says the link is inferred (only training checks show it) rather than quoted by the
    symptom's own text. A probable symptom keeps its own place in the ranking (its evidence,
    such as a crash's message, is not said anywhere else); a certain one is told only under
    its root.
    """

    diagnosis: Any | None
    checks: list[C] = field(default_factory=list)
    symptoms: list["Cause[C]"] = field(default_factory=list)
    probable: bool = False
    explained_by: "Cause[C] | None" = None

    @property
    def id(self) -> str:
        return self.diagnosis.id if self.diagnosis is not None else (
            self.checks[0].status if self.checks else "failed")

    @property
    def tier(self) -> int:
        return tier(self.diagnosis.id) if self.diagnosis is not None else 2

    @property
    def first(self) -> C:
        return self.checks[0]

    def all_checks(self) -> list[C]:
        """Its own checks and its symptoms' checks."""
        return self.checks + [c for s in self.symptoms for c in s.checks]


#: Diagnoses that are one bug per class or function they name, however each finding words it.
ONE_PER_NAME_IDS = frozenset({"batch-dependence", "init-symmetric", "nondeterministic", "input-mutation",
                              "ignores-hyperparameters", "optimizer-update", "regularization"})
#: ... one bug per class: a precision lost anywhere in a class is one cast to remove.
ONE_PER_CLASS_IDS = frozenset({"dtype"})
_NAME = re.compile(r"[a-z_][\w.]*")


def _key(check: _Check) -> tuple[str, str]:
    root = root_diagnosis(check.diagnoses)
    if root is None:
        return (check.status, " ".join(check.message.split()))
    if tier(root.id) == 3:
        # A training symptom is one phenomenon however each check words what it measured
        # ("the loss rose from 2.33 to 13.3", "... to 3.9e+79"): one card.
        return (root.id, "")
    if tier(root.id) == 1 or root.id in ONE_PER_NAME_IDS | ONE_PER_CLASS_IDS:
        # An unexplained difference is one cause per function, whatever it was compared with
        # ("SoftmaxCrossEntropy.backward differs from the reference" / "... from the numerical
        # gradient of your own forward"): the function's name opens the hint. So is a bug
        # whose every finding on one name is the same fix ("Linear(400, 300) initialises every
        # weight to 0" / "Linear(20, 30) sets every weight to 0").
        words = normalised(root.hint).split()
        name = _NAME.match(words[0]) if words else None
        if name and root.id in ONE_PER_CLASS_IDS:
            # float32 in Tanh.forward and in Tanh.backward: one cast, one fix (keep float64).
            return (root.id, name.group(0).split(".")[0])
        return (root.id, name.group(0) if name and root.id in ONE_PER_NAME_IDS else words[0] if words else "")
    return (root.id, normalised(root.hint))


def group_causes(checks: Sequence[C]) -> list[Cause[C]]:
    """The failed `checks` as ranked root causes, each listing the symptoms it explains.

    Roots come first: by tier, then by how many checks they explain (their symptoms' checks
    included), then by first appearance; causes no root explains follow in the same order.
    """
    causes: dict[tuple[str, str], Cause[C]] = {}
    for check in checks:
        if check.passed or check.status == "not-assigned":
            continue
        key = _key(check)
        if key not in causes:
            causes[key] = Cause(root_diagnosis(check.diagnoses))
        causes[key].checks.append(check)
    ordered = list(causes.values())
    roots = [c for c in ordered if c.tier <= 1]
    explained: set[int] = set()
    for cause in ordered:
        # A named bug seen only by training checks is a symptom too when its text quotes a
        # component's bug (the training checks replay the layers at the training sizes).
        if cause.tier <= 1 and not training_only(cause):
            # A net's check that meets a layer's bug is that bug too (not a root of its own).
            root, probable = same_bug_root(cause, roots), False
        else:
            root, probable = explaining_root(cause, roots)
        if root is not None:
            cause.probable, cause.explained_by = probable, root
            root.symptoms.append(cause)
            if not probable:
                explained.add(id(cause))
    _flatten(ordered, explained)
    position = {id(c): i for i, c in enumerate(ordered)}

    def rank(c: Cause[C]) -> tuple[int, int, int]:
        return (c.tier, -len(c.all_checks()), position[id(c)])

    return sorted((c for c in ordered if id(c) not in explained), key=rank)


def _flatten(causes: list[Cause[C]], explained: set[int]) -> None:
    """Tell every symptom under the root at the top of its chain: a symptom of a cause that is
    itself explained (certainly) would be under a card no report shows."""
    for cause in causes:
        root, seen = cause.explained_by, {id(cause)}
        if root is None:
            continue
        while root.explained_by is not None and id(root) in explained and id(root.explained_by) not in seen:
            seen.add(id(root))
            root = root.explained_by
        if root is not cause.explained_by:
            cause.explained_by.symptoms.remove(cause)
            cause.explained_by = root
            root.symptoms.append(cause)


def root_cause_ids(checks: Sequence[C], limit: int | None = None) -> list[str]:
    """The ranked root causes' diagnosis ids (symptoms they explain, even probably, left out)."""
    ids: list[str] = []
    for cause in group_causes(checks):
        if cause.diagnosis is not None and cause.explained_by is None and cause.id not in ids:
            ids.append(cause.id)
    return ids if limit is None else ids[:limit]
