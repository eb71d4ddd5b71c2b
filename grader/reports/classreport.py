"""The class report: one self-contained HTML page and class.json, from the submission records.

Same look and the same safety rules as the per-submission HTML report
(`grader.reports.html`): its stylesheet, inline PNGs, a Content-Security-Policy
that forbids every script and every non-`data:` resource, and every string
escaped (submission names and error messages are student-controlled). The
only links are relative ones to the per-submission JSON reports beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.classstats import PROBLEM_STATUSES, ClassFigures, class_figures
from grader.grading import report_file_name
from grader.records import SubmissionRecord, load_records
from grader.reports import plots
from grader.reports.sanitize import clean_line, points
from grader.reports.html import _figure, e, hint, page

HTML_NAME = "class.html"
JSON_NAME = "class.json"
IDENTICAL_NOTE = (
    "Identical after removing whitespace and comments. This is a signal to look, not an accusation: "
    "submissions can match because they start from the same template or because a short correct "
    "answer has one natural form."
)
_EXTRA_CSS = """
.bar { display: inline-block; height: .8rem; background: #cf222e; vertical-align: middle; }
.bar.ok { background: #1a7f37; }
"""


@dataclass
class ClassReport:
    html: Path
    json: Path
    figures: ClassFigures


def write_class_report(records: list[SubmissionRecord], folder: Path, *, title: str = "Class report",
                       report_links: dict[str, str] | None = None) -> ClassReport:
    """Write class.html and class.json into ``folder``.

    report_links: submission name -> file name of its JSON report (relative to folder), for links.
    """
    figures = class_figures(records)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / JSON_NAME, folder / HTML_NAME
    json_path.write_text(json.dumps(figures.to_json(), indent=1) + "\n", encoding="utf-8")
    html_path.write_text(render_class_html(figures, title=title, report_links=report_links or {}),
                         encoding="utf-8")
    return ClassReport(html=html_path, json=json_path, figures=figures)


def rebuild_class_report(folder: Path, out: Path | None = None) -> ClassReport:
    """The class report from the ``*.record.json`` files saved in ``folder`` (no re-grading)."""
    records = load_records(folder)
    links = {r.submission: report_file_name(r.submission) for r in records
             if (folder / report_file_name(r.submission)).is_file()}
    return write_class_report(records, out or folder, report_links=links)


def _pct(x: float) -> str:
    return f"{x:.1f}%"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                      for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _summary(f: ClassFigures) -> list[str]:
    statuses = ", ".join(f"{n} {e(s)}" for s, n in f.statuses.items())
    facts = [f"{f.n_submissions} submissions ({statuses})"]
    if f.n_graded:
        facts.append(f"mean {_pct(f.percent.mean)}, median {_pct(f.percent.median)}, "
                     f"spread (std) {f.percent.std:.1f} points")
    facts.append(f"grading time {f.runtime_total_s:.1f} s in total, median {f.runtime.median:.1f} s, "
                 f"slowest {f.runtime.max:.1f} s")
    return [f'<p class="facts">{" · ".join(facts)}</p>']


def _components(f: ClassFigures) -> list[str]:
    if not f.components:
        return []
    rows = [[e(c.tag), f"{points(c.score.mean)} / {points(c.max_score)}", f"{c.score.std:.2f}",
             f"{points(c.score.min)} – {points(c.score.max)}"] for c in f.components]
    return ["<h2>Components</h2>", _table(["Component", "Mean", "Std", "Range"], rows, {1, 2, 3})]


def _checks(f: ClassFigures) -> list[str]:
    if not f.checks:
        return []
    statuses = sorted({s for c in f.checks for s in c.statuses}, key=lambda s: (s != "passed", s))
    rows = []
    for c in f.checks:
        width = round(100 * c.pass_rate)
        bar = f'<span class="bar{" ok" if c.pass_rate >= 0.8 else ""}" style="width:{width / 2:.0f}px"></span>'
        rows.append([_check_label(c.title, c.name), e(c.component), f"{bar} {c.pass_rate:.0%}"]
                    + [str(c.statuses.get(s, 0)) for s in statuses])
    return ["<h2>Checks, worst pass rate first</h2>",
            _table(["Check", "Component", "Pass rate"] + statuses, rows, set(range(2, 3 + len(statuses))))]


def _check_label(title: str, key: str) -> str:
    """A check's title, with its number and id small beneath (what a rubric names it by)."""
    if not title:
        return e(key)
    return f"{e(title)}<br><small><code>{e(key)}</code></small>"


def _diagnoses(f: ClassFigures, links: dict[str, str]) -> list[str]:
    if not f.diagnoses:
        return ["<h2>Diagnoses</h2>", '<p class="note">No diagnosis in any graded submission.</p>']
    items = []
    for d in f.diagnoses:
        examples = ", ".join(_submission(name, links) for name in d.examples)
        more = f" and {d.submissions - len(d.examples)} more" if d.submissions > len(d.examples) else ""
        therefore = f" And therefore: {e(', '.join(d.symptoms))}." if d.symptoms else ""
        items.append(f"<li><code>{e(d.id)}</code>: {d.submissions} submission{'s' if d.submissions != 1 else ''}"
                     f" (e.g. {examples}{more}). {hint(d.hint.rstrip(' .'))}.{therefore}</li>")
    return ["<h2>Root causes, most common first</h2>",
            '<p class="note">Each submission counts once per bug it has; what a bug makes fail '
            "elsewhere (no learning, a crash in training) is listed under it, not counted again.</p>",
            "<ul>", *items, "</ul>"]


def _submission(name: str, links: dict[str, str]) -> str:
    target = links.get(name)
    return f'<a href="{e(target)}">{e(name)}</a>' if target else e(name)


def _problems(f: ClassFigures, links: dict[str, str]) -> list[str]:
    if not f.problems:
        return ["<h2>Not graded</h2>", '<p class="note">Every submission was graded: none timed out, '
                "crashed or met a grader error.</p>"]
    order = {s: i for i, s in enumerate(PROBLEM_STATUSES)}
    rows = [[_submission(p.submission, links), f'<span class="error">{e(p.status)}</span>',
             e(clean_line(p.error, 300))]
            for p in sorted(f.problems, key=lambda p: (order.get(p.status, len(order)), p.submission))]
    return ["<h2>Not graded: timed out, crashed, grader error or bad input</h2>",
            _table(["Submission", "Status", "What happened"], rows)]


def _identical(f: ClassFigures, links: dict[str, str]) -> list[str]:
    parts = ["<h2>Identical submissions</h2>", f'<p class="note">{e(IDENTICAL_NOTE)}</p>']
    if not f.identical:
        return parts + ["<p>No two submissions have identical graded files.</p>"]
    return parts + ["<ul>", *(f"<li>{', '.join(_submission(n, links) for n in group)}</li>"
                              for group in f.identical), "</ul>"]


def _submissions(f: ClassFigures, links: dict[str, str]) -> list[str]:
    rows = [[_submission(s["submission"], links), e(s["status"]), _pct(s["percent"]), f"{s['seconds']:.1f}",
             e(", ".join(s["diagnoses"]))] for s in f.submissions]
    return ["<h2>Submissions</h2>", _table(["Submission", "Status", "Score", "Seconds", "Diagnoses"], rows, {2, 3})]


def _figures(f: ClassFigures) -> list[str]:
    figs = []
    if f.n_graded:
        percents = [s["percent"] for s in f.submissions if s["status"] == "graded"]
        figs.append(_figure(lambda: plots.distribution_png(percents, title="Scores", xlabel="score (%)",
                                                           bins=[10 * i for i in range(11)]),
                            "score histogram", "Scores of the graded submissions"))
    if f.submissions:
        seconds = [s["seconds"] for s in f.submissions]
        figs.append(_figure(lambda: plots.distribution_png(seconds, title="Grading time", xlabel="seconds"),
                            "runtime histogram", "Wall time per submission"))
    return figs


def render_class_html(f: ClassFigures, *, title: str = "Class report", report_links: dict[str, str]) -> str:
    links = report_links
    body = [f"<h1>{e(title)}</h1>", *_summary(f), *_figures(f), *_components(f), *_checks(f),
            *_diagnoses(f, links), *_problems(f, links), *_identical(f, links), *_submissions(f, links)]
    return page(title, body, _EXTRA_CSS)
