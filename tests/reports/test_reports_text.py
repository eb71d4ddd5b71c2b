"""Terminal report and ProgressReporter."""

from __future__ import annotations

import io
import re

from reports_fixtures import mixed

from grader.reports import ProgressReporter, render, write_report
from grader.reports.text import render as text_render


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_text_has_no_escape_codes_and_no_markup_interpretation() -> None:
    out = render(mixed(), "text")
    assert "\x1b" not in out
    assert "[bold]not markup[/bold]" in out  # student text printed literally
    assert "red text" in out
    assert all(line == line.rstrip() for line in out.split("\n"))


def test_components_and_diagnoses() -> None:
    out = render(mixed(), "text")
    assert re.search(r"^  linear +0\.00 / 5\.00  1 of 1 check not passed$", out, re.M)
    assert re.search(r"^Problem 1 bias-gradient-not-summed +0\.00 / 5\.00$", out, re.M)
    assert re.search(r"^    \[FAIL\] 2\.2 Linear backward matches numerical gradient +0\.00 / 5\.00$", out, re.M)
    assert re.search(r"^  How to fix it:\n      Sum the bias gradient over the batch axis", out, re.M)
    assert "Output printed by your code" in out
    assert "SECRET" not in out


def test_colour_on_tty_but_student_escapes_still_stripped(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # explicit colour=True must win over the environment
    out = text_render(mixed(), color=True)
    assert "\x1b[" in out  # rich's own colours
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "evil title" not in out


def test_write_report_auto_colour_follows_the_stream() -> None:
    tty, plain = FakeTTY(), io.StringIO()
    write_report(mixed(), "text", tty)
    write_report(mixed(), "text", plain)
    assert "\x1b[" in tty.getvalue()
    assert "\x1b" not in plain.getvalue()
    assert plain.getvalue() == render(mixed(), "text")


def test_plain_width_ignores_columns_env(monkeypatch) -> None:
    before = render(mixed(), "text")
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert render(mixed(), "text") == before


def test_progress_plain_prints_few_lines() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream)
    progress.start(100, "training")
    for _ in range(100):
        progress.advance()
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "training: started (100 steps)"
    assert lines[1:4] == ["training: 25/100", "training: 50/100", "training: 75/100"]
    assert lines[4].startswith("training: done (100/100) in ")
    assert len(lines) == 5


def test_progress_is_forgiving_and_quiet_mode_is_silent() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream)
    progress.advance(3)  # before start: ignored
    progress.finish()  # before start: ignored
    assert stream.getvalue() == ""
    with ProgressReporter(stream, quiet=True) as quiet:
        quiet.start(10, "x")
        quiet.advance(10)
    assert stream.getvalue() == ""
    progress.start(0, "empty")
    progress.advance()
    progress.finish()
    progress.finish()
    assert stream.getvalue().count("done") == 1


def test_progress_bar_on_tty() -> None:
    stream = FakeTTY()
    progress = ProgressReporter(stream)
    progress.start(4, "training")
    progress.advance(4)
    progress.finish()
    out = stream.getvalue()
    assert "training" in out and "4/4" in out
    assert "started" not in out  # the bar, not the plain lines


def test_a_cut_never_hides_a_label() -> None:
    from grader.reports.sanitize import truncate

    dump = ("got:      [[1 2 3]\n" + "\n".join(" [1 2 3]" for _ in range(20))
            + "\nexpected: [[4 5 6]\n" + "\n".join(" [4 5 6]" for _ in range(20)))
    cut = truncate(dump, 200, 8)
    assert "expected:" not in cut.replace("'expected:'", "")  # the label itself went...
    assert "with the start of 'expected:' omitted" in cut  # ...and the marker says so


def test_the_flood_note_names_checks_by_their_title() -> None:
    from grader.results import CheckResult, GradingResult

    check = CheckResult("test_training.py::test_loss_decreases", 1, 1, tags=["training"], number="9",
                        title="Training: the loss falls")
    result = GradingResult("flood", [check], artifacts={"student_output": {
        "discarded_bytes": 5_000_000, "discarded_by_check": {"test_training.py::test_loss_decreases": 5_000_000}}})
    out = render(result, "text")
    assert "of your program's output discarded (in Training: the loss falls)" in " ".join(out.split())
    assert "test_training.py" not in out
