"""write_report / render: dispatch, paths, streams, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from reports_fixtures import mixed

import grader.reports as reports
from grader.reports import FORMATS, render, validate_gradescope, write_report


def test_formats() -> None:
    assert FORMATS == ("json", "junit", "markdown", "text", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_path_and_stream_give_the_rendered_text(tmp_path, fmt: str) -> None:
    path = tmp_path / "nested" / f"report.{fmt}"
    write_report(mixed(), fmt, path)
    stream = io.StringIO()
    write_report(mixed(), fmt, stream)
    expected = render(mixed(), fmt)
    assert path.read_text(encoding="utf-8") == expected
    assert stream.getvalue() == expected
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_str_path(tmp_path) -> None:
    write_report(mixed(), "json", str(tmp_path / "results.json"))
    assert validate_gradescope(json.loads((tmp_path / "results.json").read_text())) == []


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(mixed(), "xml")
    with pytest.raises(ValueError):
        write_report(mixed(), "pdf", io.StringIO())


def test_json_writer_never_leaves_gradescope_without_a_file(tmp_path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reports.gradescope, "render", broken)
    path = tmp_path / "results.json"
    # The caller (CLI) must still see the failure, to exit with the grader-error code...
    with pytest.raises(RuntimeError, match="boom"):
        write_report(mixed(), "json", path)
    # ...but Gradescope gets a valid, score-0 file that says what broke.
    obj = json.loads(path.read_text())
    assert validate_gradescope(obj) == []
    assert obj["score"] == 0
    assert "report writer failed: RuntimeError: boom" in obj["output"]


def test_visibility_flags_reach_every_local_format() -> None:
    for fmt in ("junit", "markdown", "text", "html"):
        default = render(mixed(), fmt)
        assert "AFTER-DUE detail" not in default and "PUBLISHED-ONLY detail" not in default
        assert "PUBLISHED-ONLY detail" in render(mixed(), fmt, published=True)
        assert "SECRET hidden detail" not in render(mixed(), fmt, after_due_date=True, published=True)
        assert "SECRET hidden detail" in render(mixed(), fmt, show_hidden=True)


def test_hidden_details_reach_gradescope_marked_hidden() -> None:
    obj = json.loads(render(mixed(), "json"))
    hidden = [t for t in obj["tests"] if t["visibility"] == "hidden"]
    assert len(hidden) == 1 and "SECRET hidden detail" in hidden[0]["output"]


def test_a_run_without_a_terminal_imports_no_writer_nor_rich_before_its_report() -> None:
    """A grading run's start-up (the CLI, the progress lines of a CI log) imports neither rich
    nor any report writer; `prepare_writers` imports the one asked for, and only it."""
    code = """
import io, sys
import grader.cli
from grader.reports import ProgressReporter, prepare_writers
progress = ProgressReporter(stream=io.StringIO())
progress.start(4, "checks"); progress.advance(4); progress.finish()
early = sorted(m for m in sys.modules if m == "rich" or m.startswith(("rich.", "grader.reports.")))
prepare_writers("json")
late = sorted(m for m in sys.modules if m.startswith("grader.reports."))
print(early, "grader.reports.gradescope" in late, "grader.reports.html" in late)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['grader.reports.console',", "'grader.reports.progress']", "True", "False"]
