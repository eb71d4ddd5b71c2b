"""JUnit XML for GitLab (`artifacts:reports:junit`) and Jenkins (`junit` step).

One <testsuite> inside <testsuites>; one <testcase> per check shown, named by
the check's human title, with classname = the module of its pytest id
("test_linear.py::test_backward" -> "test_linear") so CI UIs group checks by
check file and an instructor finds the check; the whole id is the `check`
property. A check whose id is not a pytest id is grouped by its component.
ElementTree escapes &, <, > and quotes; what it does not do is drop the
characters XML 1.0 forbids (most C0 controls), which `clean` already removed.
A grader failure becomes an extra <error> test case, so a CI page cannot show
"all green" for a run whose score is 0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.causes import root_diagnosis

from grader.reports.cards import card_blocks, card_note, cards_by_check, symptom_line
from grader.reports.firstrun_view import FIRST_RUN_PER_CHECK, first_run, first_run_text
from grader.reports.labels import (
    BEYOND_HEADING, NOT_ASSIGNED_HEADING, PROBABLE_LABEL, SYMPTOMS_LABEL, TRIPPED_LABEL,
)
from grader.reports.sanitize import clean_line, round_score
from grader.reports.view import CauseView, CheckView, ReportView, where_text

SUITE_NAME = "grader"


def _card_text(cause: CauseView) -> str:
    """The card in plain text: its cause, the evidence once, the fix once, what follows."""
    parts = [f"[{cause.id}] {cause.headline}".strip()]
    if len(cause.checks) > 1:
        parts.append("The same cause fails: " + "; ".join(f"{c.number} {c.label}" for c in cause.checks[1:]))
    sentence = card_note(cause)
    if sentence:
        parts.append(sentence)
    parts += [f"{label}:\n{body}" for label, body in card_blocks(cause)]
    for label, probable in ((SYMPTOMS_LABEL, False), (PROBABLE_LABEL, True)):
        symptoms = [s for s in cause.symptoms if s.probable == probable]
        if symptoms:
            parts.append(f"{label}:\n" + "\n".join(f"- {symptom_line(s)}" for s in symptoms))
    return "\n\n".join(parts)


def _body(check: CheckView, card: tuple[CauseView, bool] | None) -> str:
    """The whole card under the check that tells it; a pointer to it under the others."""
    if card is None:
        return check.message
    cause, tells = card
    if tells:
        return _card_text(cause)
    first = f"{cause.first.number} {cause.first.label}"
    if check in cause.checks:
        return f"[{cause.id}] {cause.summary}\nSame cause as check {first}: the evidence and the fix are there."
    symptom = next(s for s in cause.symptoms if check in s.checks)
    return (f"[{symptom.id}] {symptom.headline}\nThis follows from [{cause.id}] {cause.headline} "
            f"(check {first}): fix that first.\n\n{check.message}"
            + (f"\n\n{TRIPPED_LABEL}:\n{where_text(check)}" if check.frames else ""))


def _message(check: CheckView, card: tuple[CauseView, bool] | None) -> str:
    """The one-line summary CI UIs show next to the test name: the cause's id and headline."""
    if card is not None:
        cause, _ = card
        if check in cause.checks:
            return clean_line(f"{cause.id}: {cause.summary}", 300)
        symptom = next(s for s in cause.symptoms if check in s.checks)
        return clean_line(f"{symptom.id}: {symptom.headline} (follows from {cause.id})", 300)
    first = check.message.split("\n", 1)[0] if check.message else ""
    if not first and check.diagnoses:
        first = check.diagnoses[0].hint
    return clean_line(first or check.status, 300)


def _properties(parent: ET.Element, items: list[tuple[str, str]]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in items:
        ET.SubElement(props, "property", {"name": name, "value": value})


def classname(check: CheckView) -> str:
    """The check's module in JUnit's dotted form ("sub/test_x.py::test_f" -> "sub.test_x")."""
    if "::" not in check.name:
        return check.component
    return check.name.split("::", 1)[0].removesuffix(".py").replace("/", ".")


def _testcase(suite: ET.Element, check: CheckView, card: tuple[CauseView, bool] | None) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": classname(check),
        "name": check.label,
        "time": f"{check.duration_s:.3f}",
    })
    _properties(case, [
        ("check", check.name),
        ("score", str(round_score(check.score))),
        ("max_score", str(round_score(check.max_score))),
        ("number", check.number),
        ("tags", ",".join(check.tags)),
    ] + ([("beyond_course", f"{BEYOND_HEADING}: {check.beyond_course}")] if check.beyond_course else []))
    if check.status in ("failed", "error"):
        kind = "failure" if check.status == "failed" else "error"
        el = ET.SubElement(case, kind, {
            "message": _message(check, card),
            # The check's own root diagnosis: a no-learning check stays no-learning.
            "type": root.id if (root := root_diagnosis(check.diagnoses)) is not None else check.status,
        })
        el.text = _body(check, card)
    elif check.status == "skipped":
        ET.SubElement(case, "skipped", {"message": _message(check, card)})
    elif check.status == "not-assigned":
        reason = clean_line(f"{NOT_ASSIGNED_HEADING}: {check.message}", 300)
        ET.SubElement(case, "skipped", {"message": reason})
    if check.output:
        ET.SubElement(case, "system-out").text = check.output


def render_view(view: ReportView) -> str:
    cases = list(view.shown)
    failures = sum(c.status == "failed" for c in cases)
    errors = sum(c.status == "error" for c in cases) + (1 if view.grader_error else 0)
    skipped = sum(c.status in ("skipped", "not-assigned") for c in cases)
    counts = {
        "tests": str(len(cases) + (1 if view.grader_error else 0)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{view.execution_time_s:.3f}",
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": view.submission, **counts})
    # With checks withheld, the total would give away how they went: report
    # the score over the checks shown, as the other local formats do.
    score, max_score = (view.shown_score, view.shown_max_score) if view.withheld else (view.score, view.max_score)
    _properties(suite, [
        ("submission", view.submission),
        ("score", str(round_score(score))),
        ("max_score", str(round_score(max_score))),
        ("rubric", view.rubric),
        ("seed", str(view.seed)),
        ("withheld_checks", str(len(view.withheld))),
    ] + ([("release", f"{view.release}: {view.release_why}" if view.release_why else view.release)]
         if view.release else [])
      + [("not_assigned", f"{part}: {reason}") for part, reason, _ in view.not_assigned])
    if view.grader_error:
        case = ET.SubElement(suite, "testcase", {"classname": "grader", "name": "grader-error", "time": "0.000"})
        el = ET.SubElement(case, "error", {"message": clean_line(view.grader_error, 300), "type": "grader-error"})
        el.text = view.grader_error
    first = first_run(view)
    if first:
        # Nothing implemented yet: what to do first, once for the suite; each failure says so.
        ET.SubElement(suite, "system-out").text = first_run_text(first)
    cards = cards_by_check(view.causes + view.beyond_causes)
    for check in cases:
        _testcase(suite, check, cards.get(check.index))
        if first and check.status == "failed":
            failure = suite[-1].find("failure")
            if failure is not None:
                failure.text = FIRST_RUN_PER_CHECK
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
