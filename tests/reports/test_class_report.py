"""The class report: figures from submission records, class.json, the HTML page, `grader class`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.batch import BatchRow
from grader.grading import report_file_name
from grader.classstats import class_figures
from grader.cli import cli
from grader.records import SubmissionRecord, load_records, read_record, record_path, write_record
from grader.reports.classreport import IDENTICAL_NOTE, write_class_report
from grader.results import CheckResult, Diagnosis, GradingResult

HINTS = {"relu-mask": "Mask with the forward input.", "loss-reduction": "Average over the batch."}


def _result(name: str, outcomes: dict[str, tuple[str, float, list[str]]]) -> GradingResult:
    """outcomes: check name -> (status, score out of 10, diagnosis ids); component = name before '-'."""
    checks = [CheckResult(name=check, max_score=10.0, score=score, status=status,  # type: ignore[arg-type]
                          tags=[check.split("-")[0]], number=str(i + 1),
                          diagnoses=[Diagnosis(d, HINTS.get(d, d)) for d in diags])
              for i, (check, (status, score, diags)) in enumerate(outcomes.items())]
    return GradingResult(submission=name, checks=checks, execution_time_s=2.0, rubric="r", seed=1)


def _class() -> list[SubmissionRecord]:
    ok = ("passed", 10.0, [])
    relu = ("failed", 0.0, ["relu-mask"])
    records = [
        SubmissionRecord("ann", seconds=10.0, fingerprint="f1",
                         result=_result("ann", {"relu-fwd": ok, "loss-mean": ok, "train-acc": ok})),
        SubmissionRecord("bob", seconds=12.0, fingerprint="f2",
                         result=_result("bob", {"relu-fwd": relu, "loss-mean": ("failed", 0.0, ["loss-reduction"]),
                                               "train-acc": ok})),
        SubmissionRecord("cat", seconds=11.0, fingerprint="f1",
                         result=_result("cat", {"relu-fwd": relu, "loss-mean": ok,
                                               "train-acc": ("error", 0.0, ["relu-mask"])})),
        SubmissionRecord("dan", seconds=9.0, fingerprint="f3",
                         result=_result("dan", {"relu-fwd": relu, "loss-mean": ok,
                                               "train-acc": ("timeout", 0.0, [])})),
        SubmissionRecord("eve", seconds=13.0, fingerprint="f4",
                         result=_result("eve", {"relu-fwd": relu, "loss-mean": ok, "train-acc": ok})),
        SubmissionRecord("<b>zed</b>", status="timeout", error="timeout: not graded within 60 s", seconds=60.0,
                         fingerprint="f1"),
        SubmissionRecord("yan", status="crashed", error="the grading process died (killed by signal 9)",
                         seconds=3.0),
    ]
    return records


def test_figures_from_records() -> None:
    f = class_figures(_class())
    assert (f.n_submissions, f.n_graded, f.max_score) == (7, 5, 30.0)
    assert f.percent.mean == pytest.approx(100 * (30 + 10 + 10 + 10 + 20) / 150)
    assert sum(f.histogram) == 5 and f.histogram[-1] == 1 and f.histogram[3] == 3  # 100%; three at 33.3%
    assert f.statuses == {"crashed": 1, "graded": 5, "timeout": 1}
    # Worst pass rate first; every status string counted as itself, new ones included.
    assert [c.name for c in f.checks] == ["1 relu-fwd", "3 train-acc", "2 loss-mean"]
    assert f.checks[0].pass_rate == pytest.approx(0.2)
    assert f.checks[1].statuses == {"passed": 3, "error": 1, "timeout": 1}
    # relu-mask hit 4 submissions (cat twice: counted once), 3 examples shown.
    relu, loss = f.diagnoses
    assert (relu.id, relu.submissions, relu.examples) == ("relu-mask", 4, ["bob", "cat", "dan"])
    assert (loss.id, loss.submissions, loss.examples) == ("loss-reduction", 1, ["bob"])
    assert [(p.submission, p.status) for p in f.problems] == [("<b>zed</b>", "timeout"), ("yan", "crashed")]
    assert f.identical == [["<b>zed</b>", "ann", "cat"]]
    relu_component = next(c for c in f.components if c.tag == "relu")
    assert relu_component.score.mean == pytest.approx(2.0) and relu_component.max_score == 10.0
    assert f.runtime.max == 60.0 and f.runtime_total_s == pytest.approx(118.0)


def test_gradebook_rows_come_from_the_same_records() -> None:
    records = _class()
    rows = [BatchRow.from_record(r, Path(r.submission)) for r in records]
    figures = class_figures(records)
    by_name = {s["submission"]: s for s in figures.submissions}
    for row in rows:
        assert row.percent == pytest.approx(by_name[row.submission]["percent"], abs=0.01)
        assert row.status == by_name[row.submission]["status"]
    bob = rows[1]
    assert bob.score == 10.0 and bob.by_tag == {"relu": 0.0, "loss": 0.0, "train": 10.0}
    assert bob.diagnoses == ["relu-mask", "loss-reduction"]


def test_records_round_trip_through_json(tmp_path: Path) -> None:
    for record in _class():
        path = record_path(tmp_path, record.submission.replace("/", "_").replace("<", "_").replace(">", "_"))
        write_record(record, path)
        again = read_record(path)
        assert again.to_json() == record.to_json()
    assert [r.submission for r in load_records(tmp_path)] == sorted(r.submission for r in _class())


def test_class_json_and_html(tmp_path: Path) -> None:
    report = write_class_report(_class(), tmp_path, report_links={"bob": "bob.json"})
    data = json.loads(report.json.read_text())
    assert data["n_submissions"] == 7 and data["checks"][0]["pass_rate"] == pytest.approx(0.2)
    assert data["diagnoses"][0]["examples"] == ["bob", "cat", "dan"]
    html = report.html.read_text()
    assert "default-src 'none'" in html and "<script" not in html
    assert "&lt;b&gt;zed&lt;/b&gt;" in html and "<b>zed</b>" not in html
    assert IDENTICAL_NOTE.split(".")[0] in html
    assert '<a href="bob.json">bob</a>' in html
    for url in re.findall(r'src="([^"]*)"', html):
        assert url.startswith("data:image/png;base64,")
    assert set(re.findall(r'<img alt="([^"]+)"', html)) == {"score histogram", "runtime histogram"}
    # Checks table: worst first, with a column per status seen.
    header = re.search(r"<th>Check</th><th>Component</th><th>Pass rate</th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<th>([^<]+)</th>", header) == ["passed", "error", "failed", "timeout"]


def test_grader_class_rebuilds_from_saved_records(tmp_path: Path) -> None:
    for record in _class():
        write_record(record, record_path(tmp_path, f"r{abs(hash(record.submission))}"))
    (tmp_path / report_file_name("bob")).write_text("{}")
    result = CliRunner().invoke(cli, ["class", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "7 submissions (5 graded)" in result.output
    html = (tmp_path / "class.html").read_text()
    assert '<a href="bob.json">bob</a>' in html
    assert json.loads((tmp_path / "class.json").read_text())["statuses"]["timeout"] == 1


@pytest.mark.parametrize("setup, expect", [
    (lambda d: None, "holds no *.record.json files"),
    (lambda d: (d / "x.record.json").write_text("{not json"), "cannot read the record"),
    (lambda d: (d / "x.record.json").write_text('{"format": "other"}'), "not a grader submission record"),
])
def test_grader_class_bad_input_is_one_line(tmp_path: Path, setup, expect: str) -> None:
    setup(tmp_path)
    result = CliRunner().invoke(cli, ["class", str(tmp_path)])
    assert result.exit_code == 2
    assert expect in result.output and len(result.output.strip().splitlines()) == 1


def _titled_class() -> list[SubmissionRecord]:
    records = _class()[:2]
    for record in records:
        for check in record.result.checks:  # type: ignore[union-attr]
            check.title = f"<i>{check.name}</i> works"  # escaped in the page like any text
    return records


def test_records_round_trip_check_titles_and_older_records_still_load(tmp_path: Path) -> None:
    record = _titled_class()[0]
    path = record_path(tmp_path, "ann")
    write_record(record, path)
    assert [c.title for c in read_record(path).result.checks] == [  # type: ignore[union-attr]
        "<i>relu-fwd</i> works", "<i>loss-mean</i> works", "<i>train-acc</i> works"]
    # A record written before checks had titles: no "title" key at all.
    data = json.loads(path.read_text())
    for check in data["result"]["checks"]:
        del check["title"]
    path.write_text(json.dumps(data))
    old = read_record(path).result.checks[0]  # type: ignore[union-attr]
    assert (old.title, old.label) == ("", "relu-fwd")


def test_class_report_lists_checks_by_title_with_the_id_beside(tmp_path: Path) -> None:
    report = write_class_report(_titled_class(), tmp_path)
    first = json.loads(report.json.read_text())["checks"][0]
    assert (first["name"], first["title"]) == ("1 relu-fwd", "<i>relu-fwd</i> works")
    html = report.html.read_text()
    assert "<td>&lt;i&gt;relu-fwd&lt;/i&gt; works<br><small><code>1 relu-fwd</code></small></td>" in html
    untitled = write_class_report(_class(), tmp_path / "old").html.read_text()
    assert "<td>1 relu-fwd</td>" in untitled


def test_a_broken_check_is_named_by_title_and_id_in_the_record() -> None:
    from grader.grading import grader_failure

    result = _result("fay", {"relu-fwd": ("error", 0.0, []), "loss-mean": ("passed", 10.0, [])})
    result.checks[0].title = "ReLU: forward matches the formula"
    assert grader_failure(result) == ("the grader failed in 'ReLU: forward matches the formula' (relu-fwd) "
                                      "(left out of the total)")
    assert grader_failure(None) == ""
    result.grader_error = "the sandbox worker could not start"
    assert grader_failure(result) == "the sandbox worker could not start"
