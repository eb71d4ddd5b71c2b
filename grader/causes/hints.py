"""How a diagnosis's hint reads: where it was found, what it is about, what it observes and
what it says to do. Causes compare hints by these readings and cards show them.
"""

from __future__ import annotations

import re

from grader.causes.tiers import tier


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

