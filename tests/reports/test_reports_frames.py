"""Every format shows where the student's code raised: file, line and the line's text."""

from __future__ import annotations

import html as html_lib
import json

import pytest

from grader.records import result_from_dict
from grader.reports import render, text
from grader.results import CheckResult, Diagnosis, Frame, GradingResult

# A training crash five calls deep in the student's code (outermost first).
FRAMES = [Frame("network.py", 70, "train", "for epoch in range(epochs):"),
          Frame("network.py", 76, "train", "loss = run_epoch(model, X, y)"),
          Frame("network.py", 88, "run_epoch", "model.backward(grad)"),
          Frame("network.py", 80, "train", "optimizer.step()"),
          Frame("optim.py", 22, "step", "layer.b -= self.lr * layer.db")]
MESSAGE = "network.train() raised ValueError: non-broadcastable output operand with shape (64,)."


def crashed() -> GradingResult:
    check = CheckResult("test_training.py::test_loss_falls", 5.0, 0.0, status="failed", tags=["training"],
                        number="7", title="Training: the loss falls", message=MESSAGE,
                        diagnoses=[Diagnosis("crash", MESSAGE)], frames=list(FRAMES))
    passed = CheckResult("test_linear.py::test_forward", 5.0, 5.0, tags=["linear"], number="1",
                         title="Linear.forward matches")
    return GradingResult(submission="sub", checks=[passed, check], rubric="default", seed=1)


def _innermost_shown(report: str) -> None:
    assert "optim.py, line 22, in step" in report
    assert "layer.b -= self.lr * layer.db" in report
    assert "Where in your code" in report


@pytest.mark.parametrize("fmt", ["markdown", "junit"])
def test_markdown_and_junit_show_the_line(fmt):
    report = render(crashed(), fmt)
    _innermost_shown(html_lib.unescape(report))
    assert "network.py, line 70" not in report  # only the innermost three by default
    assert "2 earlier calls in your code not shown" in report


def test_html_shows_the_line():
    report = html_lib.unescape(render(crashed(), "html"))
    _innermost_shown(report)


def test_gradescope_shows_the_line_in_the_tests_output():
    tests = json.loads(render(crashed(), "json"))["tests"]
    crash = next(t for t in tests if "loss falls" in t["name"])
    _innermost_shown(crash["output"])
    # and as data, every frame, for tools that read results.json
    assert crash["extra_data"]["frames"][-1] == {"file": "optim.py", "line": 22, "function": "step",
                                                 "code": "layer.b -= self.lr * layer.db"}
    assert len(crash["extra_data"]["frames"]) == len(FRAMES)


@pytest.mark.parametrize("width", [80, 100])
def test_terminal_shows_the_line_at_either_width(width):
    report = text.render(crashed(), width=width)
    _innermost_shown(report)
    assert max(len(line) for line in report.splitlines()) <= width
    # the line that raised comes right after its place, indented under it
    lines = report.splitlines()
    where = next(i for i, line in enumerate(lines) if "optim.py, line 22, in step" in line)
    assert lines[where + 1].strip() == "layer.b -= self.lr * layer.db"


def test_verbose_shows_every_frame():
    report = text.render(crashed(), verbose=True, width=100)
    assert "network.py, line 70, in train" in report and "not shown" not in report


def test_a_check_without_frames_has_no_where_block():
    result = crashed()
    result.checks[1].frames = []
    assert "Where in your code" not in text.render(result, width=100)


def test_frames_survive_a_saved_record():
    again = result_from_dict(json.loads(json.dumps(crashed().to_dict())))
    assert again.checks[1].frames == FRAMES


def test_student_text_in_a_frame_cannot_break_the_html():
    result = crashed()
    result.checks[1].frames = [Frame("layers.py", 3, "f", "x = '</pre><script>alert(1)</script>'")]
    report = render(result, "html")
    assert "<script>alert(1)" not in report and "&lt;script&gt;" in report


def _two_crashes() -> GradingResult:
    """Two checks of one cause: the first raised outside the student's code (no frames), the
    second inside it; the card tells the cause once and shows the second's frames."""
    message = MESSAGE + "\nlayer.db has shape (4, 64); layer.b has shape (64,)"
    outside = CheckResult("test_training.py::test_loss_falls", 5.0, 0.0, status="failed", tags=["training"],
                          number="7", title="Training: the loss falls", message=message,
                          diagnoses=[Diagnosis("crash", MESSAGE)])
    inside = CheckResult("test_training.py::test_accuracy", 5.0, 0.0, status="failed", tags=["training"],
                         number="8", title="Training: accuracy", message=message,
                         diagnoses=[Diagnosis("crash", MESSAGE)], frames=list(FRAMES))
    return GradingResult(submission="sub", checks=[outside, inside], rubric="default", seed=1)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "junit"])
def test_a_card_shows_its_first_frames_once_right_after_its_evidence(fmt):
    report = render(_two_crashes(), fmt)
    if fmt == "html":
        report = html_lib.unescape(report)
    assert report.count("Where in your code") == 1  # one card, one block
    assert report.count("optim.py, line 22, in step") == 1
    evidence, where = report.index("What went wrong"), report.index("Where in your code")
    # Nothing else comes between the evidence and the frames.
    assert evidence < where
    assert report.index("How to fix it") > where


def test_gradescope_keeps_every_tests_own_frames_and_tells_the_card_once():
    tests = json.loads(render(_two_crashes(), "json"))["tests"]
    assert "frames" not in tests[0]["extra_data"] and len(tests[1]["extra_data"]["frames"]) == len(FRAMES)
    # The card (with the frames) is told under its first test; the second points to it.
    assert "optim.py, line 22, in step" in tests[0]["output"]
    assert "optim.py, line 22, in step" not in tests[1]["output"]


def test_only_the_terminal_says_how_to_see_every_frame():
    assert "-v shows them" in text.render(crashed(), width=100)
    assert "-v shows them" not in render(crashed(), "markdown")
