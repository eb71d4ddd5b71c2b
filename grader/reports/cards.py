"""One card per root cause: its fix, its evidence, its symptoms, and the sentences every
writer prints around them (what a card is called, its notes, its blocks in order).
"""

from __future__ import annotations

import re
import textwrap
from typing import Callable

from grader.causes import Cause, fix, group_causes, headline, normalised, observation_first, tier
from grader.reports.labels import (COURSE_MISSES_LABEL, EXAMPLE_LABEL, FIX_LABEL, MESSAGE_LABEL, STUDENT_OUTPUT_LABEL,
                                   TRIPPED_LABEL, WHERE_LABEL)
from grader.reports.sanitize import number
from grader.reports.view import CauseView, CheckView, DiagnosisView, FRAMES_SHOWN, SymptomView, where_text


#: How to fix a diagnosis whose hint only states what is wrong ("MLP.backward's dx differs
#: from the reference" is not a fix).
FIX_BY_ID = {
    "wrong-gradient": (
        "Work the smallest failing input out by hand (one sample, one feature): differentiate "
        "your forward and compare each gradient with what your backward returns; a backward must "
        "use the values its forward cached, with the upstream gradient multiplied in."),
    "wrong-forward": (
        "Work the smallest failing input out by hand from the definition and compare it with your "
        "forward one operation at a time (axis, keepdims, the order of the operations)."),
    "crash": (
        "Make the call that failed yourself (on the smallest failing input when there is one): the "
        "error names the operation; print the shapes of its operands and compare them with the "
        "contract's. An operand made elsewhere (a gradient, a layer's output) may be the wrong one."),
    "timeout": (
        "Make sure every loop ends, and replace Python loops over samples with whole-array NumPy "
        "operations."),
    "memory-limit": (
        "Do not build arrays larger than the batch needs (no N x N matrices, no copies per sample)."),
    "shape-mismatch": (
        "Print the shapes of each product's operands and compare them with the contract's shapes."),
    "input-mutation": (
        "Leave the arguments as they came: build a new array (np.maximum(x, 0), x * mask) or work "
        "on a copy (x = x.copy()) instead of assigning into x or using +=, -= on it."),
}
GENERIC_FIX = "Compare your code with the contract for this function (its shapes and formula)."


def cause_views(checks: list[CheckView], start: int = 1) -> list[CauseView]:
    """The failed `checks` as cards numbered from `start`, root causes first (grader.causes
    ranks them)."""
    causes = group_causes(checks)
    numbers = {id(c): i for i, c in enumerate(causes, start=start)}
    return [_cause_view(numbers[id(c)], c, numbers) for c in causes]


def _cause_view(number: int, cause: Cause[CheckView], numbers: dict[int, int]) -> CauseView:
    first = cause.first
    d = cause.diagnosis
    if d is None:  # failed without naming a diagnosis: the message says what happened
        lines = first.message.split("\n", 1)
        # "skipped: the network could not be built" under the id "skipped": said once.
        title = re.sub(rf"^{re.escape(first.status)}:\s*", "", lines[0], flags=re.I)
        evidence, todo = lines[1] if len(lines) > 1 else "", ""
    else:
        title, todo = headline(d.hint, d.id), fix(d.hint, d.id)
        evidence = _evidence(first, d, title)
        if not evidence and todo:
            # The message was the hint, all said by the headline and the fix; what the fix
            # starts with before any advice ("The contract requires (1,)") is what went wrong.
            evidence, todo = observation_first(todo)
    symptoms: dict[tuple[str, bool, int, str], list] = {}
    for s in cause.symptoms:
        card = numbers.get(id(s), 0)
        # Symptoms of one kind are one line ("no-learning in checks 92 and 102"); of the cause's
        # own kind, each keeps its line (TwoLayerNet's grads['b2'], FullyConnectedNet's ...).
        said = headline(s.diagnosis.hint, s.id) if s.diagnosis is not None and s.id == cause.id else ""
        key = (s.id, s.probable, card, said)
        symptoms.setdefault(key, [s, []])[1].extend(s.checks)
    root = cause.explained_by
    return CauseView(
        number=number, id=cause.id, headline=title,
        fix=todo or (FIX_BY_ID.get(cause.id, GENERIC_FIX) if d is not None else ""),
        status=first.status, checks=tuple(cause.checks), evidence=evidence,
        example=first.example, output=first.output,
        course_misses=first.course_misses,
        symptoms=tuple(SymptomView(key[0], headline(s.diagnosis.hint, s.id) if s.diagnosis else s.id,
                                   tuple(found), key[1], key[2],
                                   next((c.frames for c in found if c.frames), ()))
                       for key, (s, found) in symptoms.items()),
        caused_by=(numbers[id(root)], root.id) if root is not None and id(root) in numbers else None,
        named=d is not None,
        frames=next((c.frames for c in cause.checks if c.frames), ()),
    )


def _evidence(check: CheckView, diagnosis: DiagnosisView, title: str) -> str:
    """The check's message without what the card already says (what is left: the values got
    and expected, the shapes, where), then any other diagnosis' observation.

    A line holding the whole hint keeps what it adds ("... (lr = 0.1)"); a line that repeats
    the headline in other words is dropped.
    """
    said, hint_text = normalised(title), diagnosis.hint.strip()
    lines: list[str] = []
    for line in check.message.split("\n"):
        if hint_text and hint_text in line:
            line = line.replace(hint_text, "").strip(" .;:")
        elif len(said) >= 12 and said in normalised(line):
            continue
        if line.strip():
            lines.append(line)
    others = [f"{d.id}: {d.hint}" for d in check.diagnoses
              if d.id != diagnosis.id and normalised(d.hint) not in normalised(check.message)]
    return textwrap.dedent("\n".join(lines)) + "".join("\n" + line for line in others)



def checks_label(cause: CauseView) -> str:
    n = len(cause.checks)
    return f"The check{'s' if n != 1 else ''} it failed ({n})"


def evidence_label(cause: CauseView) -> str:
    """'What went wrong' and, when the card lists several checks, whose evidence it is."""
    return MESSAGE_LABEL + (f" (in {cause.first.number} {cause.first.label})" if len(cause.checks) > 1 else "")


def checks_phrase(cause: CauseView) -> str:
    """"7 checks and 3 it causes": the card's own checks, then those of the symptoms told on it."""
    own, more = len(cause.checks), cause.n_checks - len(cause.checks)
    return f"{own} check{'s' if own != 1 else ''}" + (f" and {more} it causes" if more else "")


def therefore_clause(cause: CauseView) -> str:
    """"; and therefore: no-learning; probably also: crash" for a summary line ("" if nothing)."""
    certain = _symptom_words(cause, [s for s in cause.symptoms if not s.probable])
    probable = _symptom_words(cause, [s for s in cause.symptoms if s.probable])
    return ((f"; and therefore: {', '.join(certain)}" if certain else "")
            + (f"; probably also: {', '.join(probable)}" if probable else ""))


def _symptom_words(cause: CauseView, symptoms: list[SymptomView]) -> list[str]:
    """Symptoms in a summary line: their ids, and where they show when the id is the cause's
    own ("and therefore: shape-mismatch" said nothing; "shape-mismatch in fc-net and training"
    does)."""
    words: dict[str, list[str]] = {}
    for symptom in symptoms:
        places = words.setdefault(symptom.id, [])
        if symptom.id == cause.id:
            places.extend(p for p in dict.fromkeys(c.component for c in symptom.checks) if p not in places)
    return [f"{sid} in {_and(places)}" if places else sid for sid, places in words.items()]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def problem_name(number: int) -> str:
    """How a report names a card: "problem 2" (Gradescope names the test that tells it)."""
    return f"problem {number}"


def _runs(numbers: list[str]) -> list[str]:
    """Check numbers with runs of three or more said as one ("48 to 67"): twenty numbers in a
    row are read as a range anyway."""
    if not all(n.isdigit() for n in numbers):
        return numbers
    values = sorted(dict.fromkeys(int(n) for n in numbers))
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[i - 1] + 1:
            run = values[start:i]
            out += [f"{run[0]} to {run[-1]}"] if len(run) >= 3 else [str(v) for v in run]
            start = i
    return out


def symptom_line(symptom: SymptomView, name: Callable[[int], str] = problem_name) -> str:
    """"no-learning in checks 92 and 102: train() cannot even fit 50 samples" (+ its card)."""
    numbers = _runs([c.number for c in symptom.checks])
    where = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    card = f" ({name(symptom.card)})" if symptom.card else ""
    return f"{symptom.id} in check{'s' if len(symptom.checks) != 1 else ''} {where}{card}: {symptom.headline}"


def symptom_where(symptom: SymptomView) -> str:
    """"shape-mismatch in check 92": which of a symptom's checks raised where its frames say."""
    number = next((c.number for c in symptom.checks if c.frames), symptom.checks[0].number)
    return f"{symptom.id} in check {number}"


#: Titles of checks that call twice and compare: failing on a wrong value, they can read as
#: "the results change between calls" when nothing did.
_REPEAT_TITLE = re.compile(r"\b(repeat\w*|same (seed|result)s?|deterministic|twice)\b", re.I)
#: Causes that really are about what changes between calls, or not about values at all.
_REPEAT_CAUSES = frozenset({"nondeterministic", "stale-gradient", "input-mutation", "batch-dependence",
                            "missing-api", "import-error", "forbidden-import", "tampering"})


def card_note(cause: CauseView, name: Callable[[int], str] = problem_name) -> str:
    """The sentences a card adds under its checks: that another card probably explains it, and
    that a check of repeated calls failed on the values, not on repeating."""
    notes: list[str] = []
    if cause.caused_by is not None:
        number, root = cause.caused_by
        notes.append(f"Probably caused by {name(number)} ({root}), since only training checks show it: "
                     "fix that first, then grade again.")
    repeats = [c.number for c in cause.checks if _REPEAT_TITLE.search(c.label)]
    if repeats and cause.id not in _REPEAT_CAUSES and cause.named and tier(cause.id) <= 1:
        which = f"Check {repeats[0]} compares" if len(repeats) == 1 else f"Checks {', '.join(repeats)} compare"
        notes.append(f"{which} repeated calls but failed on the values themselves ({cause.id}), "
                     "not because the results changed between calls.")
    return " ".join(notes)


def cards_by_check(causes: list[CauseView]) -> dict[int, tuple[CauseView, bool]]:
    """check index -> (its cause's card, whether this check is the one that tells it).

    For the per-check formats (JUnit, Gradescope): the first check of a cause carries the
    card; its other checks, and the checks of the symptoms told under it, point to it.
    """
    cards: dict[int, tuple[CauseView, bool]] = {}
    for cause in causes:
        for i, check in enumerate(cause.checks):
            cards[check.index] = (cause, i == 0)
        for symptom in cause.symptoms:
            for check in symptom.checks:
                cards.setdefault(check.index, (cause, False))
    return cards


def card_blocks(cause: CauseView, frames: int | None = FRAMES_SHOWN,
                more: str = "") -> list[tuple[str, str]]:
    """The labelled texts of a card after its list of checks, in the order reports show them:
    the evidence once, where in the student's code it broke, the failing input, the student's
    output, then the fix. `frames`: how many of the innermost frames to show (None: all);
    `more`: how to see the ones left out, where the format has a way (the terminal's -v)."""
    blocks = [(evidence_label(cause), cause.evidence),
              (WHERE_LABEL, where_text(cause, frames, more) if cause.frames else ""),
              # A symptom told only here keeps where it raised (an update tripping on the bad array).
              *((f"{TRIPPED_LABEL} ({symptom_where(s)})", where_text(s, frames, more))
                for s in cause.symptoms if s.frames and not s.card),
              (COURSE_MISSES_LABEL, cause.course_misses),
              (EXAMPLE_LABEL, cause.example), (STUDENT_OUTPUT_LABEL, cause.output),
              (FIX_LABEL, cause.fix)]
    return [(label, body) for label, body in blocks if body]
GRADER_ERROR_SENTENCE = (
    "The grader itself failed while grading this submission, so the score is 0 for now. "
    "This is a problem with the grading infrastructure: please contact the course staff."
)
