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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Sequence, TypeVar

#: What a bug does to training, not the bug itself.
SYMPTOM_IDS = frozenset({"no-learning", "single-class-collapse", "accuracy-below-threshold", "divergence"})
#: Where code broke, not why.
AFTERMATH_IDS = frozenset({"crash", "timeout", "memory-limit"})
#: The fallbacks a check names when no signature explains the difference.
GENERIC_IDS = frozenset({"wrong-forward", "wrong-gradient"})

#: Component tags of checks that train a whole network (and time it): what they see
#: follows from the components they train.
TRAINING_TAGS = frozenset({"training", "performance"})


class _Check(Protocol):
    diagnoses: Sequence[Any]  # items with `id` and `hint` (Diagnosis, DiagnosisView)
    message: str
    status: str
    tags: Sequence[str]

    @property
    def passed(self) -> bool: ...


C = TypeVar("C", bound=_Check)


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


# "Linear 3 of 3, (1, 2) weights: " / "ReLU 2 of 2: ": where in a network a layer's bug was found.
_LOCATION = re.compile(r"^[A-Z][\w.]* \d+ of \d+(?:, [^:]{0,40})?: ")
_OF_N = re.compile(r"\b(\d+) of \d+\b")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def without_location(hint: str) -> str:
    """`hint` without a leading "Linear 3 of 3, (1, 2) weights: " (the layer it was found in)."""
    return _LOCATION.sub("", hint.strip())


# "Linear 1 of 2's db has shape", "Linear.dLdW has shape", "FullyConnectedNet.loss's grads['b1'] is":
# what a hint is about, before what it says of it.
_SUBJECT = re.compile(r"^(.+?)(?:'s |\.)(\S+) (?:has|is) ")
_COMPONENT = re.compile(r"[A-Za-z_]\w*")


def subject(hint: str) -> tuple[str, str] | None:
    """(component, array) a hint is about: ("Linear", "db") for "Linear 1 of 2's db has shape
    (2, 64)" and "Linear's db has shape (1, 2)"; ("FullyConnectedNet", "grads['b1']") for
    "FullyConnectedNet.loss's grads['b1'] has shape ..."; None when it names no array."""
    found = _SUBJECT.match(without_location(hint))
    component = _COMPONENT.match(found.group(1)) if found else None
    return (component.group(0), found.group(2)) if found and component else None


# " (this is Linear.backward's defect, charged by the Linear checks; not charged again here)":
# a check that meets another component's bug says whose it is; the bug is the same one.
_WHOSE_DEFECT = re.compile(r"\s*\(this is [^()]*'s defect\b[^()]*\)\s*\.?\s*$")


def normalised(hint: str) -> str:
    """A hint's wording with locations, layer counts, numbers and a note on whose defect it is
    taken out: two hints that normalise alike ("Linear 1 of 3's db has shape (1, 1)", "Linear
    1's db has shape (16, 64)") name the same cause."""
    text = _OF_N.sub(r"\1", without_location(_WHOSE_DEFECT.sub("", hint)))
    return " ".join(_NUMBER.sub("#", text).split()).rstrip(".").lower()


#: First words of a hint that is all advice ("Sum the bias gradient over the batch axis"):
#: it has no observation to head a card with, and all of it is the fix.
_IMPERATIVES = frozenset("""
    add apply average avoid cache call check clip compute copy divide do don't fix flatten gate
    implement initialise initialize keep make mask move multiply normalise normalize pass remove
    replace reshape return scale set shuffle start store subtract sum swap transpose update use write
""".split())


def _advice_only(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in _IMPERATIVES


def headline(hint: str, diagnosis_id: str = "") -> str:
    """The hint's observation: its text up to the first "; ", ": " or ". " outside brackets
    ("ReLU.backward gates on (grad_out > 0)"), with the observations after it up to the first
    advice ("Linear's db has shape (1, 2): it keeps the batch axis"); the whole hint when it
    has no such break, or for a crash or time-out (whose hint is the error, the exception's
    message included); "" for a hint that is all advice."""
    return _split(hint, diagnosis_id)[0]


def fix(hint: str, diagnosis_id: str = "") -> str:
    """What the hint says to do: its text after the headline, capitalised ("" when the hint
    only states what is wrong; all of it when it is all advice)."""
    return _split(hint, diagnosis_id)[1]


def _split(hint: str, diagnosis_id: str) -> tuple[str, str]:
    text = without_location(hint)
    if _advice_only(text):
        return "", text
    level = tier(diagnosis_id)
    # A training symptom's first sentence is all measurement ("...: after 30 epochs it gets
    # 10% of them right"); what to do starts with its next sentence.
    cut = None if level == 2 else _break(text)
    if level == 3 and _break(text, ".") is not None:
        cut = _break(text, ".")
    if cut is None:
        # NumPy ends some messages with " ." after a shape: "(784,64) ." reads as a typo.
        return text.rstrip(" ."), ""
    head, rest = text[:cut], text[cut + 2:].strip()
    if rest.startswith("`"):
        # "...at layers.py line 12: `x[x < 0] = 0`": the quoted line is where, not what to do.
        return text.rstrip(" ."), ""
    # "...: it keeps the batch axis; sum grad_out over the batch": an observation before the
    # advice belongs with the headline, so "How to fix it" starts with what to do.
    while True:
        nxt = _break(rest)
        if level == 3 or nxt is None or _advice_only(rest) or not _advice_only(rest[nxt + 2:]):
            break
        head, rest = f"{head}{text[cut]} {rest[:nxt]}", rest[nxt + 2:].strip()
    return head.rstrip(" ."), (rest[:1].upper() + rest[1:]) if rest else ""


def observation_first(text: str) -> tuple[str, str]:
    """`text` (a hint's rest after its headline) as (what it observes, what to do): the
    sentences before the first piece of advice, and that advice with the rest. ("The contract
    requires (1,)" is all observation; "The contract is (64,): it keeps the batch axis. Fix
    Linear.backward" splits before "Fix".)"""
    rest, seen = text.strip(), ""
    while rest and not _advice_only(rest):
        cut = _break(rest)
        if cut is None:
            return (seen + rest).rstrip(" ."), ""
        seen, rest = f"{seen}{rest[:cut + 1]} ", rest[cut + 2:].strip()
    return seen.rstrip(" .;:"), rest[:1].upper() + rest[1:]


def _break(text: str, marks: str = ";:.") -> int | None:
    """Where the first of `marks` followed by a space sits outside brackets (None if nowhere)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in marks and text[i + 1:i + 2] == " ":
            return i
    return None


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
        if cause.tier <= 1 and not _training_only(cause):
            # A net's check that meets a layer's bug is that bug too (not a root of its own).
            root, probable = _same_bug_root(cause, roots), False
        else:
            root, probable = _explaining_root(cause, roots)
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


def _training_only(cause: Cause[C]) -> bool:
    return all(TRAINING_TAGS.intersection(c.tags) for c in cause.checks)


def _explaining_root(cause: Cause[C], roots: list[Cause[C]]) -> tuple[Cause[C] | None, bool]:
    """The root cause `cause`'s text quotes (certain), else, for a cause seen only in training
    checks, the first named bug outside training (probable); (None, False) if neither."""
    said = normalised(" ".join(
        [d.hint for c in cause.checks for d in c.diagnoses] + [c.message for c in cause.checks]))
    for root in roots:
        if root is cause or _training_only(root):
            continue
        quoted = normalised(headline(root.diagnosis.hint, root.id)) if root.diagnosis is not None else ""
        if len(quoted) >= 12 and quoted in said:
            return root, False
    # A shape error blamed on the array that produced it (grader.checks.diagnose.blame_producer:
    # "Linear 1 of 2's db has shape (2, 64)") is the bug a component check names on the same
    # component and array ("Linear's db has shape (1, 2): it keeps the batch axis"), in other
    # words and at other sizes; a bug with its own name is preferred to another shape-mismatch.
    about = subject(cause.diagnosis.hint) if cause.id == "shape-mismatch" and cause.diagnosis else None
    if about is not None:
        same = [root for root in roots if root is not cause and root.tier == 0 and not _training_only(root)
                and subject(root.diagnosis.hint) == about]
        if same:
            return sorted(same, key=lambda r: r.id == "shape-mismatch")[0], False
    # A net's gradient dict with a bias (weight) gradient of the wrong shape, when a layer's own
    # backward makes its bias (weight) gradient wrong the same way: the layer's bug, seen
    # through the net (CS231n's affine_backward db (1, 1) -> TwoLayerNet's grads['b2'] (2, 2)).
    layer = _same_bug_root(cause, roots)
    if layer is not None:
        return layer, False
    if cause.tier >= 2 and _training_only(cause):
        for root in roots:
            if root.tier == 0 and not _training_only(root):
                return root, True
    return None, False


# What a gradient is of, by its name in each contract: dW / dLdW / dw / grads['W1'] (a weight),
# db / dLdb / grads['b1'] (a bias). A net's gradient dict is grads[...].
_WEIGHT_GRAD = re.compile(r"^(?:d(?:Ld)?[Ww]\d*|grads\[['\"]W\d*['\"]\])$")
_BIAS_GRAD = re.compile(r"^(?:d(?:Ld)?b\d*|grads\[['\"]b\d*['\"]\])$")
# "has shape (2, 2); the contract requires (2,)", "has shape (64, 64); the contract is (64,)",
# "has shape (2, 3), the transpose of the required (3, 2)".
_SHAPES = re.compile(r"has shape (\([\d, ]*\))[,;:]? (?:the contract (?:requires|is)|the transpose of the required) "
                     r"(\([\d, ]*\))")


def _gradient_defect(hint: str) -> tuple[str, str] | None:
    """("weight" | "bias", how its shape is wrong) for a hint about a gradient's shape, else
    None. How: "transposed", "extra axis" (one axis more than the contract), or "other"."""
    about = subject(hint)
    shapes = _SHAPES.search(hint)
    if about is None or shapes is None:
        return None
    kind = "weight" if _WEIGHT_GRAD.match(about[1]) else "bias" if _BIAS_GRAD.match(about[1]) else None
    if kind is None:
        return None
    got, want = (tuple(int(n) for n in re.findall(r"\d+", g)) for g in shapes.groups())
    how = "transposed" if len(got) == 2 and got == want[::-1] and got != want else \
        "extra axis" if len(got) == len(want) + 1 else "other"
    return kind, how


def _layer_gradient_root(cause: Cause[C], roots: list[Cause[C]]) -> Cause[C] | None:
    """The layer's shape bug that `cause` (a net's grads[...] of the wrong shape) follows from:
    a root outside training on a layer's own gradient (not grads[...]) of the same kind, wrong
    in the same way; None when there is none or `cause` is not such a symptom."""
    if cause.id != "shape-mismatch" or cause.diagnosis is None:
        return None
    about, defect = subject(cause.diagnosis.hint), _gradient_defect(cause.diagnosis.hint)
    if about is None or defect is None or not about[1].startswith("grads["):
        return None
    for root in roots:
        if root is cause or root.tier != 0 or root.diagnosis is None or _training_only(root):
            continue
        root_about = subject(root.diagnosis.hint)
        if root_about is not None and not root_about[1].startswith("grads[") \
                and _gradient_defect(root.diagnosis.hint) == defect:
            return root
    return None


# "ReLU 1 of 2: forward differs ...", "Linear 3 of 3, (1, 2) weights: dx uses dW": a layer's
# bug found inside a network; the layer's class opens it.
_INSIDE = re.compile(r"^([A-Z]\w*) \d+ of \d+(?:, [^:]{0,40})?: ")
# "... but your ReLU.forward is not the function it differentiates": the bug is in the forward.
_BLAMES_FORWARD = re.compile(r"\byour ([A-Za-z_]\w*\.forward) is not the function it differentiates")


# A hint about the whole network (the assignment's model classes), not one of its layers.
_NETWORK = re.compile(r"^(?:MLP\d*|TwoLayerNet|FullyConnectedNet)\b")


def _opening_name(hint: str) -> str:
    found = re.match(r"[A-Za-z_]\w*(?:\.\w+)?", hint.strip())
    return found.group(0) if found else ""


def _same_bug_root(cause: Cause[C], roots: list[Cause[C]]) -> Cause[C] | None:
    """The root that is the same bug as `cause`, told elsewhere: a layer's bug that a network
    check found inside the network ("ReLU 1 of 2: forward differs" -> the ReLU check's
    "ReLU.forward differs from max(x, 0)", same id); a backward check that blames the forward
    ("... your ReLU.forward is not the function it differentiates") -> the forward's cause; a
    net's grads[...] of the wrong shape -> the layer's gradient wrong the same way."""
    if cause.diagnosis is None:
        return None
    hint = cause.diagnosis.hint.strip()
    others = [r for r in roots if r is not cause and r.diagnosis is not None and r.explained_by is None
              and not _training_only(r)]
    inside = _INSIDE.match(hint)
    if inside:
        for root in others:
            if (root.id == cause.id or (cause.tier == 1 and root.tier == 0)) \
                    and not _INSIDE.match(root.diagnosis.hint.strip()) \
                    and _opening_name(root.diagnosis.hint).split(".")[0] == inside.group(1) \
                    and _components(root) != _components(cause):
                return root
    blamed = _BLAMES_FORWARD.search(hint)
    if blamed:
        # The forward's own cause, by name, else the named bug its component's checks found
        # ("the loss is N times the contract's value" in the same cross-entropy checks).
        named = [r for r in others if _opening_name(r.diagnosis.hint) == blamed.group(1)]
        same_part = [r for r in others if r.tier == 0 and _components(r) & _components(cause)]
        if named or same_part:
            return (named or same_part)[0]
    if _NETWORK.match(hint) and cause.id != "shape-mismatch":  # which array: _layer_gradient_root
        # "MLP.forward's output has dtype float32" beside "Linear.forward's output has dtype
        # float32": the network shows its layer's bug (same diagnosis, a layer's check).
        for root in others:
            # (an unexplained difference of the network follows from a layer's bug)
            if (root.id == cause.id or (cause.tier == 1 and root.tier <= 1)) \
                    and not _NETWORK.match(root.diagnosis.hint.strip()) \
                    and not _components(root) & _components(cause):
                return root
    if cause.tier == 0 and _training_only(cause):
        # The training checks finding the bug a component's check named ("the first update of
        # W1 is not sgd's step" beside "sgd: step 1 differs"): that card, not a second one.
        for root in others:
            if root.id == cause.id:
                return root
    name = _opening_name(hint)
    if cause.tier == 1 and name:
        # "Linear.forward's Z differs from the definition" beside "Linear.forward centres the
        # batch": the difference is the named bug of the same function.
        for root in others:
            if root.tier == 0 and _opening_name(root.diagnosis.hint) == name:
                return root
    if cause.tier == 2:
        # "MLP0.backward() raised TypeError: ReLU.backward() takes 1 positional argument" when
        # ReLU.backward's own check named the bug ("ReLU.backward takes no dLdA").
        called = set(re.findall(r"\b([A-Za-z_]\w*\.\w+)\(\)", hint))
        for root in others:
            if root.tier <= 1 and _opening_name(root.diagnosis.hint) in called:
                return root
    return _layer_gradient_root(cause, roots)


def _components(cause: Cause[C]) -> set[str]:
    return {c.tags[0] for c in cause.checks if c.tags}


def root_cause_ids(checks: Sequence[C], limit: int | None = None) -> list[str]:
    """The ranked root causes' diagnosis ids (symptoms they explain, even probably, left out)."""
    ids: list[str] = []
    for cause in group_causes(checks):
        if cause.diagnosis is not None and cause.explained_by is None and cause.id not in ids:
            ids.append(cause.id)
    return ids if limit is None else ids[:limit]
