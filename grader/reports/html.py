"""One self-contained HTML report: summary, components, failed checks, plots as inline PNGs.

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
from grader.reports._common import (
    EXAMPLE_LABEL,
    GRADER_ERROR_SENTENCE,
    STATUS_LABEL,
    STUDENT_OUTPUT_LABEL,
    summary_facts,
    CheckView,
    ReportView,
    clean_line,
    points,
)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin-bottom: .25rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-word; border-radius: 4px; }
.passed { color: #1a7f37; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
.error { color: #8250df; font-weight: 600; } .skipped { color: #9a6700; font-weight: 600; }
.score { font-size: 1.3rem; font-weight: 600; }
.facts { color: #59636e; }
.alert { background: #ffebe9; border: 1px solid #cf222e; padding: .6rem; border-radius: 4px; }
.note { font-style: italic; color: #59636e; }
.check { border: 1px solid #d0d7de; border-radius: 6px; padding: .2rem 1rem; margin: 1rem 0; }
.label { font-weight: 600; margin-bottom: 0; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; }
figcaption { color: #59636e; font-size: .9rem; }
code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
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


def _plots(artifacts: dict[str, Any]) -> list[str]:
    figures: list[str] = []
    if artifacts.get("learning_curve") is not None:
        figures.append(_figure(lambda: plots.learning_curve_png(artifacts["learning_curve"]),
                               "learning curve", "Training loss per epoch"))
    if artifacts.get("confusion_matrix") is not None:
        figures.append(_figure(lambda: plots.confusion_matrix_png(artifacts["confusion_matrix"]),
                               "confusion matrix", "Confusion matrix: rows are true classes, "
                               "columns predicted classes"))
    if artifacts.get("predicted_histogram") is not None:
        figures.append(_figure(
            lambda: plots.class_histogram_png(artifacts["predicted_histogram"], artifacts.get("label_histogram")),
            "class histogram", "How often each class is predicted"))
    return figures


def _per_class_table(view: ReportView) -> list[str]:
    """Per-digit recall and precision on the test set, one row each (empty list if absent)."""
    rows = view.per_class_rows
    if not rows:
        return []
    n = len(rows[0][1])
    head = "".join(f'<th class="num">{d}</th>' for d in range(n))
    body = "\n".join(f"<tr><th>{e(label)}</th>" + "".join(f'<td class="num">{v:.0%}</td>' for v in values)
                     + "</tr>" for label, values in rows)
    return ['<table class="per-class">\n<caption>Per digit, on the test set (recall 0%: the network '
            "never gets that digit right)</caption>\n"
            f"<thead><tr><th>Digit</th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"]


def _pre(label: str, body: str) -> str:
    return f'<p class="label">{e(label)}:</p>\n<pre>{e(body)}</pre>'


def _check_section(check: CheckView) -> str:
    parts = [
        f'<section class="check" id="check-{check.index}">',
        f'<h3><span class="{check.status}">{STATUS_LABEL[check.status]}</span> '
        f"{e(check.number)}. {e(check.name)} "
        f"({points(check.score)} / {points(check.max_score)})</h3>",
    ]
    if check.diagnoses:
        parts.append("<ul>")
        parts += [f"<li><code>{e(d.id)}</code>: {hint(d.hint)}</li>" for d in check.diagnoses]
        parts.append("</ul>")
    if check.message:
        parts.append(_pre("What went wrong", check.message))
    if check.example:
        parts.append(_pre(EXAMPLE_LABEL, check.example))
    if check.output:
        parts.append(_pre(STUDENT_OUTPUT_LABEL, check.output))
    parts.append("</section>")
    return "\n".join(parts)


def render_view(view: ReportView) -> str:
    body: list[str] = [f"<h1>Grading report: {e(view.submission)}</h1>"]
    if view.grader_error:
        score = f"Score: 0 / {points(view.max_score)} (grader error)"
    elif view.withheld:
        score = f"Score on the checks shown: {points(view.shown_score)} / {points(view.shown_max_score)}"
    else:
        score = f"Score: {points(view.score)} / {points(view.max_score)} ({view.percent:.1f}%)"
    body.append(f'<p class="score">{e(score)}</p>')
    facts = summary_facts(view)
    body.append(f'<p class="facts">{e(" · ".join(facts))}</p>')
    if view.grader_error:
        body.append(f'<div class="alert"><p>{e(GRADER_ERROR_SENTENCE)}</p>\n'
                    f"{_pre('Reason', view.grader_error)}</div>")

    if view.components:
        body.append("<h2>Components</h2>")
        rows = "\n".join(
            f'<tr><td>{e(c.tag)}</td><td class="num">{points(c.score)} / {points(c.max_score)}</td>'
            f'<td class="num">{c.passed} / {c.total}</td></tr>'
            for c in view.components
        )
        body.append("<table>\n<thead><tr><th>Component</th><th>Score</th><th>Checks passed</th></tr></thead>\n"
                    f"<tbody>\n{rows}\n</tbody>\n</table>")
    note = view.withheld_note()
    if note:
        body.append(f'<p class="note">{e(note)}</p>')

    if view.top_diagnoses:
        body.append("<h2>Most likely problems</h2>\n<ul>")
        body += [f"<li><code>{e(d.id)}</code> (in {n} check{'s' if n != 1 else ''}): {hint(d.hint)}</li>"
                 for d, n in view.top_diagnoses]
        body.append("</ul>")

    if view.shown:
        body.append("<h2>Checks</h2>")
        rows = "\n".join(
            f'<tr><td class="num">{e(c.number)}</td><td class="{c.status}">{STATUS_LABEL[c.status]}</td>'
            f"<td>{e(c.name)}</td><td>{e(c.component)}</td>"
            f'<td class="num">{points(c.score)} / {points(c.max_score)}</td>'
            f"<td>{e(', '.join(d.id for d in c.diagnoses))}</td></tr>"
            for c in view.shown
        )
        body.append("<table>\n<thead><tr><th>#</th><th>Status</th><th>Check</th><th>Component</th>"
                    f"<th>Score</th><th>Diagnoses</th></tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>")

    attention = view.attention
    if attention:
        body.append("<h2>Checks that did not pass</h2>")
        body += [_check_section(c) for c in attention]

    figures = _plots(view.artifacts)
    per_class = _per_class_table(view)
    if figures or per_class:
        body.append("<h2>Training</h2>")
        body += figures
        body += per_class

    return page(f"Grading report: {view.submission}", body)


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
