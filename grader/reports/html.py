"""One self-contained HTML report: score, likely problems, failing checks, passed ones folded, plots.

Self-contained because it is uploaded as a CI artifact or mailed to a
student and opened from disk: no external CSS, fonts, scripts or images.
Every string goes through `html.escape`, and a Content-Security-Policy that
forbids all scripts and all non-`data:` resources backs that up: even an
escaping bug could not run a student's <script> in a TA's browser.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any, Callable

from grader.reports import plots
from grader.reports.build import (
    artifacts_withheld_until, not_assigned_lines, passed_by_component, summary_facts,
)
from grader.reports.cards import (
    GRADER_ERROR_SENTENCE, card_blocks, card_note, checks_label, checks_phrase, symptom_line,
    therefore_clause,
)
from grader.reports.firstrun_view import (
    FIRST_RUN_CHECKS, FIRST_RUN_HEADING, FirstRunView, first_run, lists_beyond,
)
from grader.reports.labels import (
    COURSE_MISSES_LABEL, FIX_LABEL, NOT_ASSIGNED_HEADING, PROBABLE_LABEL, STATUS_LABEL,
    STUDENT_OUTPUT_LABEL, SYMPTOMS_LABEL,
)
from grader.reports.sanitize import clean_line, points
from grader.reports.view import CauseView, CheckView, ComponentView, ReportView

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

# Shared with the class report (`page`). Phone widths: nothing may be wider
# than the viewport, so long ids wrap anywhere, images shrink, and wide
# tables scroll inside their own box. Print: no backgrounds, nothing folded.
_CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 60rem; padding: 1rem; color: #1f2328; background: #fff; line-height: 1.45;
       overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: .4rem 0 .25rem; }
table { border-collapse: collapse; margin: .5rem 0; overflow-wrap: normal; }
@media (max-width: 30rem) { th, td { padding: .2rem .35rem; } }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { max-width: 100%; overflow-x: auto; }
pre { background: #f6f8fa; padding: .6rem; overflow: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; border-radius: 4px; margin: .2rem 0 .6rem; }
pre.output { max-height: 24rem; }
@media (max-width: 30rem) { pre { font-size: .75rem; padding: .4rem; } }
img { max-width: 100%; height: auto; }
.passed { color: #1a7f37; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
.error { color: #8250df; font-weight: 600; } .skipped { color: #9a6700; font-weight: 600; }
.score { font-size: 1.3rem; font-weight: 600; }
.facts { color: #59636e; }
.alert { background: #ffebe9; border: 1px solid #cf222e; padding: .6rem; border-radius: 4px; }
.note { font-style: italic; color: #59636e; }
.label { font-weight: 600; margin-bottom: 0; }
figure { display: inline-block; max-width: 100%; margin: .5rem 1rem .5rem 0; }
figcaption { color: #59636e; font-size: .9rem; }
code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  pre, code { background: none; }
  pre { border: 1px solid #d0d7de; max-height: none; overflow: visible; }
  .alert { background: none; }
  details::details-content { content-visibility: visible; display: block; }
  figure, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

# The student's report only: the score card, failing checks as cards, passed
# checks folded per component.
_REPORT_CSS = """
.meter { height: .5rem; background: #eaeef2; border-radius: 4px; max-width: 24rem; }
.meter > span { display: block; height: 100%; background: #1a7f37; border-radius: 4px; }
.check { border: 1px solid #d0d7de; border-left: 4px solid #cf222e; border-radius: 6px;
         padding: .2rem 1rem .4rem; margin: 1rem 0; }
.check-error { border-left-color: #8250df; } .check-skipped { border-left-color: #9a6700; }
.badge { font-size: .8rem; padding: 0 .35rem; border: 1px solid currentColor; border-radius: 3px; }
.pts { color: #59636e; font-weight: normal; white-space: nowrap; }
.id { color: #59636e; font-size: .85rem; margin: 0; }
.id code { background: none; padding: 0; }
ul.same { padding-left: 1.2rem; } ul.same .id { margin-bottom: .2rem; }
details.more { margin: -.4rem 0 .4rem 1.2rem; } details.more summary { cursor: pointer; color: #59636e; }
.fix { background: #dafbe1; border-radius: 4px; padding: .1rem .6rem; margin: .4rem 0; }
.fix ul, .top { padding-left: 1.2rem; }
details.component { border-bottom: 1px solid #eaeef2; padding: .3rem 0; }
details.component summary { cursor: pointer; }
details.component ul { list-style: none; padding-left: 1.2rem; margin: .3rem 0; }
@media print {
  .fix { background: none; border: 1px solid #1a7f37; }
  .meter, .meter > span { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .check { break-inside: avoid-page; }
}
"""


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def hint(text: str) -> str:
    """A grader-written hint: escaped, with its `code` spans shown as code."""
    return _CODE_SPAN.sub(r"<code>\1</code>", e(text))


def _png_img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'


def _figure(make: Callable[[], bytes], alt: str, caption: str) -> str:
    # A broken artifact must cost one picture, never the whole report.
    try:
        img = _png_img(make(), alt)
    except Exception as exc:  # noqa: BLE001 - plotting bad data can raise anything
        return f'<p class="note">{e(caption)}: not available ({e(clean_line(exc, 200))}).</p>'
    return f"<figure>{img}<figcaption>{e(caption)}</figcaption></figure>"


def _scroll(table: str) -> str:
    # A wide table scrolls inside its own box instead of widening the page.
    return f'<div class="scroll">{table}</div>'


_WITHHELD_ARTIFACT_NAMES = {
    "learning_curve.reference": "the reference's learning curve",
    "confusion_matrix": "the confusion matrix",
    "predicted_histogram": "the class histogram",
    "test_accuracy": "the test accuracy",
    "per_class_recall": "the per-digit recall and precision",
}


def _withheld_artifacts_note(view: ReportView) -> list[str]:
    """What training results are left out, until when, and how staff see them (empty if nothing is)."""
    names = [name for key, name in _WITHHELD_ARTIFACT_NAMES.items() if key in view.withheld_artifacts]
    if not names:
        return []
    until = "; ".join(artifacts_withheld_until(view))
    listing = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return [f'<p class="note withheld">Not shown yet: {e(listing)}. They reveal the outcome of training checks '
            f"that are withheld ({e(until)}). Course staff see them with "
            "<code>grader run SUBMISSION --format html --show-hidden</code>.</p>"]


def _training(view: ReportView) -> list[str]:
    artifacts = view.artifacts
    figures: list[str] = []
    if artifacts.get("learning_curve") is not None:
        curve = artifacts["learning_curve"]
        caption = "Training loss per epoch: your network (blue line)"
        if isinstance(curve, dict) and curve.get("reference"):
            caption += " over the reference (orange band)"
        figures.append(_figure(lambda: plots.learning_curve_png(curve), "learning curve", caption))
    if artifacts.get("confusion_matrix") is not None:
        figures.append(_figure(lambda: plots.confusion_matrix_png(artifacts["confusion_matrix"]),
                               "confusion matrix", "Confusion matrix: rows are true classes, "
                               "columns predicted classes"))
    if artifacts.get("predicted_histogram") is not None:
        figures.append(_figure(
            lambda: plots.class_histogram_png(artifacts["predicted_histogram"], artifacts.get("label_histogram")),
            "class histogram", "How often each class is predicted"))
    return figures + _per_class_table(view) + _withheld_artifacts_note(view)


def _per_class_table(view: ReportView) -> list[str]:
    """Per-digit recall and precision on the test set, one row each (empty list if absent)."""
    rows = view.per_class_rows
    if not rows:
        return []
    n = len(rows[0][1])
    head = "".join(f'<th class="num">{d}</th>' for d in range(n))
    body = "\n".join(f"<tr><th>{e(label)}</th>" + "".join(f'<td class="num">{v:.0%}</td>' for v in values)
                     + "</tr>" for label, values in rows)
    # The caption sits outside the table: inside, it would scroll away with a wide table.
    return ['<p class="label">Per digit, on the test set (recall 0%: the network never gets that digit right):</p>',
            _scroll('<table class="per-class">\n'
                    f"<thead><tr><th>Digit</th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")]


def _pre(label: str, body: str, css_class: str = "") -> str:
    attr = f' class="{css_class}"' if css_class else ""
    return f'<p class="label">{e(label)}:</p>\n<pre{attr}>{e(body)}</pre>'


def _pytest_id(check: CheckView, css_class: str = "") -> str:
    """The pytest id (what rubrics key on), small, for instructors; nothing when it is the visible name."""
    if not check.title:
        return ""
    attr = f' class="{css_class}"' if css_class else ""
    return f'<code{attr} title="pytest id (rubric key)">{e(check.name)}</code>'


def _check_id(check: CheckView) -> str:
    """The check's number, pytest id and component, in small print under its name."""
    parts = (e(check.number), _pytest_id(check), e(check.component))
    return '<p class="id">' + " · ".join(p for p in parts if p) + "</p>"


#: A card lists this many of its checks; more fold under "and N more checks" (printing unfolds
#: them), so the evidence and the fix stay near the card's title.
CARD_CHECKS_SHOWN = 4


def _check_list(checks: list[CheckView]) -> str:
    def item(c: CheckView) -> str:
        return (f'<li id="check-{c.index}"><span class="{c.status}">{STATUS_LABEL[c.status]}</span> '
                f'{e(c.label)} <span class="pts">{points(c.score)} / {points(c.max_score)}</span>'
                f"{_check_id(c)}</li>")

    if len(checks) <= CARD_CHECKS_SHOWN:
        return '<ul class="same">' + "".join(item(c) for c in checks) + "</ul>"
    head, rest = checks[:CARD_CHECKS_SHOWN - 1], checks[CARD_CHECKS_SHOWN - 1:]
    return ('<ul class="same">' + "".join(item(c) for c in head) + "</ul>\n"
            f'<details class="more"><summary>and {len(rest)} more checks</summary>\n<ul class="same">'
            + "".join(item(c) for c in rest) + "</ul></details>")


def _cause_section(cause: CauseView) -> str:
    """One card per root cause: the checks it failed, the evidence once, the fix once, and the
    checks it makes fail elsewhere."""
    parts = [
        f'<section class="check check-{cause.status}" id="problem-{cause.number}">',
        f'<h3><span class="badge {cause.status}">Problem {cause.number}</span> <code>{e(cause.id)}</code>'
        + (f": {hint(cause.headline)}" if cause.headline else "")
        + f' <span class="pts">{points(cause.score)} / {points(cause.max_score)}</span></h3>',
        f'<p class="label">{e(checks_label(cause))}:</p>\n' + _check_list(list(cause.checks)),
    ]
    sentence = card_note(cause)
    if sentence:
        link = (f' <a href="#problem-{cause.caused_by[0]}">See problem {cause.caused_by[0]}.</a>'
                if cause.caused_by else "")
        parts.append(f'<p class="note">{e(sentence)}{link}</p>')
    for label, body in card_blocks(cause):
        if label == FIX_LABEL:
            parts.append(f'<div class="fix"><p class="label">{e(label)}:</p>\n<p>{hint(body)}</p></div>')
        elif label == COURSE_MISSES_LABEL:
            parts.append(f'<p class="note">{e(label)}: {e(body)}</p>')
        else:
            # Only the student's own output (up to 80 lines) scrolls in its box: the evidence
            # grows with the page, so a phone never shows an array cut inside a nested box.
            parts.append(_pre(label, body, "output" if label == STUDENT_OUTPUT_LABEL else ""))
    for label, probable in ((SYMPTOMS_LABEL, False), (PROBABLE_LABEL, True)):
        symptoms = [s for s in cause.symptoms if s.probable == probable]
        if symptoms:
            parts.append(f'<p class="label">{e(label)}:</p>\n<ul class="symptoms">'
                         + "".join(f"<li>{e(symptom_line(s))}</li>" for s in symptoms) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _component_fold(component: ComponentView, passed: list[CheckView]) -> str:
    """One folded line per component: its points, and the passed checks inside."""
    summary = (f"<summary><strong>{e(component.tag)}</strong> "
               f'<span class="pts">{points(component.score)} / {points(component.max_score)} points</span> '
               f'<span class="facts">· {component.passed} of {component.total} check{"s" if component.total != 1 else ""} '
               "passed</span></summary>")
    items = "".join(
        f'<li><span class="passed" aria-label="passed">✓</span> {e(c.label)} '
        f'<span class="pts">{points(c.score)} / {points(c.max_score)}</span>'
        + (f" {_pytest_id(c, 'id')}" if c.title else "") + "</li>"
        for c in passed)
    failing = component.total - len(passed)
    rest = (f'<p class="note">{failing} check{"s" if failing != 1 else ""} of this component did not pass: '
            "see above.</p>" if failing else "")
    return f'<details class="component">{summary}\n<ul>{items}</ul>{rest}</details>'


def _score_card(view: ReportView) -> list[str]:
    if view.grader_error:
        score, got, out_of = f"Score: {points(0)} / {points(view.max_score)} (grader error)", 0.0, view.max_score
    elif view.withheld:
        got, out_of = view.shown_score, view.shown_max_score
        score = f"Score on the checks shown: {points(got)} / {points(out_of)}"
    else:
        got, out_of = view.score, view.max_score
        score = f"Score: {points(got)} / {points(out_of)} ({view.percent:.1f}%)"
    width = 100.0 * got / out_of if out_of > 0 else 0.0
    parts = [f'<p class="score">{e(score)}</p>',
             f'<div class="meter" role="img" aria-label="{width:.0f}%"><span style="width:{width:.1f}%"></span></div>',
             f'<p class="facts">{e(" · ".join(summary_facts(view)))}</p>']
    if view.grader_error:
        parts.append(f'<div class="alert"><p>{e(GRADER_ERROR_SENTENCE)}</p>\n'
                     f"{_pre('Reason', view.grader_error)}</div>")
    note = view.withheld_note()
    if note:
        parts.append(f'<p class="note">{e(note)}</p>')
    return parts


def _top_diagnoses(view: ReportView) -> list[str]:
    """The root causes, linked to their cards, each with what it makes fail elsewhere."""
    if not view.top_causes:
        return []
    items = []
    for cause in view.top_causes:
        therefore = e(therefore_clause(cause))
        items.append(f'<li><code>{e(cause.id)}</code> (<a href="#problem-{cause.number}">problem '
                     f'{cause.number}, {e(checks_phrase(cause))}</a>): {hint(cause.summary)}{therefore}</li>')
    return ["<h2>Most likely problems</h2>", '<ol class="top">' + "\n".join(items) + "</ol>"]


def _scope(view: ReportView) -> list[str]:
    """The checks beyond the course's own tests (failed ones in full), then the parts the
    release graded does not assign."""
    out: list[str] = []
    if lists_beyond(view):
        out.append(f"<h2>{e(view.beyond_heading)}</h2>")
        for check in view.beyond:
            if check.passed:
                out.append(f'<p><span class="badge passed">{STATUS_LABEL[check.status]}</span> '
                           f'{e(check.label)} <span class="facts">({e(check.beyond_course)})</span></p>')
        for cause in view.beyond_causes:
            out.append(_cause_section(cause))
            out.append(f'<p class="note">{e(cause.first.beyond_course)}</p>')
    lines = not_assigned_lines(view)
    if lines:
        out.append(f"<h2>{e(NOT_ASSIGNED_HEADING)} (not graded, not in the total)</h2>")
        out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>")
    return out


def _first_run(first: FirstRunView) -> list[str]:
    """The first-run report: what to implement first, then what the checks will look at."""
    steps = "".join(f"<li>{e(line.split(' ', 1)[1])}</li>" for line in first.step_lines())
    parts = "".join(f"<li>{e(line)}</li>" for line in first.component_lines())
    return [f"<h2>{e(FIRST_RUN_HEADING)}</h2>", f"<p>{e(first.intro)}</p>", f"<ol>{steps}</ol>",
            f"<p>{e(FIRST_RUN_CHECKS)}</p>", f"<ul>{parts}</ul>"]


def render_view(view: ReportView) -> str:
    """Score and likely problems first, then each failing check in full, then the passed ones folded."""
    body: list[str] = [f"<h1>Grading report: {e(view.submission)}</h1>"]
    body += _score_card(view)
    first = first_run(view)
    if first:
        body += _first_run(first)
    else:
        body += _top_diagnoses(view)

    attention = [] if first else view.attention
    if attention:
        n = len(view.causes)
        body.append(f"<h2>Checks that did not pass ({len(attention)}), by cause ({n} problem{'s' if n != 1 else ''})</h2>")
        body += [_cause_section(cause) for cause in view.causes]
    elif view.shown and not view.grader_error and not first and all(c.passed for c in view.beyond):
        body.append('<p class="all-passed passed">Every check shown passed.</p>')

    body += _scope(view)
    if view.components:
        passed = sum(c.passed for c in view.shown if not c.beyond_course)
        body.append(f"<h2>Checks passed ({passed}), by component</h2>")
        body += [_component_fold(c, checks) for c, checks in passed_by_component(view)]

    training = _training(view)
    if training:
        body.append("<h2>Training</h2>")
        body += training

    return page(f"Grading report: {view.submission}", body, _REPORT_CSS)


def page(title: str, body: list[str], extra_css: str = "") -> str:
    """A whole self-contained document: the CSP, the stylesheet, ``title`` (escaped here) and ``body`` (HTML)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}{extra_css}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
