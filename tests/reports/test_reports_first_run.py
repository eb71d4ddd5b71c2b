"""The first run: nothing implemented yet gives one short report in every format."""

from __future__ import annotations

import html as html_lib
import json
import xml.etree.ElementTree as ET

import pytest

from grader.firstrun import first_steps, nothing_implemented
from grader.reports import render, text
from grader.results import CheckResult, Diagnosis, GradingResult

STEPS = [{"file": "layers.py", "todo": ["Linear.__init__", "Linear.forward", "Linear.backward"]},
         {"file": "optim.py", "todo": ["SGD.__init__", "SGD.step"]},
         {"file": "network.py", "todo": [], "missing": True}]


def untouched(n_failed: int = 30, first_run: bool = True) -> GradingResult:
    checks = [CheckResult("test_api.py::test_module_imports[layers]", 0.5, 0.5, tags=["api"], number="1",
                          title="layers.py imports without errors")]
    for i in range(n_failed):
        hint = f"Linear.forward() raised NotImplementedError: stub {i}."
        checks.append(CheckResult(f"test_linear.py::test_{i}", 1.0, 0.0, status="failed", tags=["linear"],
                                  number=str(i + 2), title=f"Linear check {i}", message=hint,
                                  diagnoses=[Diagnosis("missing-api", hint)]))
    return GradingResult(submission="template", checks=checks, rubric="default", seed=1,
                         artifacts={"first_run": {"steps": STEPS}} if first_run else {})


def test_terminal_first_run_is_short_and_in_the_handouts_order():
    report = text.render(untouched(), width=80)
    assert "Nothing is implemented yet" in report
    assert "1. layers.py: Linear.__init__, Linear.forward, Linear.backward (start here)" in report
    assert report.index("layers.py:") < report.index("optim.py:") < report.index("network.py:")
    assert "network.py: the file is missing" in report
    assert "Linear check" not in report and "stub 0" not in report  # no per-check blocks
    assert "Most likely problems" not in report and "All checks shown passed" not in report
    assert len(report.splitlines()) < 30
    assert max(len(line) for line in report.splitlines()) <= 80


def test_markdown_html_junit_gradescope_say_it_once():
    md = render(untouched(), "markdown")
    assert "### Nothing is implemented yet" in md and "stub 0" not in md and "Most likely problems" not in md
    page = html_lib.unescape(render(untouched(), "html"))
    assert "Nothing is implemented yet" in page and "stub 0" not in page
    assert "<li>layers.py: Linear.__init__, Linear.forward, Linear.backward (start here)</li>" in page
    suite = ET.fromstring(render(untouched(), "junit")).find("testsuite")
    assert "Nothing is implemented yet" in suite.find("system-out").text
    assert all("stub" not in (f.text or "") for f in suite.iter("failure"))
    results = json.loads(render(untouched(), "json"))
    assert results["output"].startswith("#### Nothing is implemented yet")
    assert all("stub" not in t["output"] for t in results["tests"])


def test_without_the_artifact_or_with_a_real_bug_the_report_is_the_usual_one():
    assert "Nothing is implemented yet" not in text.render(untouched(first_run=False), width=100)
    result = untouched()
    result.checks[2].diagnoses = [Diagnosis("wrong-forward", "Linear.forward is off by one.")]
    report = text.render(result, width=100)
    assert "Nothing is implemented yet" not in report and "off by one" in report


def test_nothing_implemented_needs_every_failure_missing_and_nothing_but_imports_passing():
    assert nothing_implemented(untouched().checks)
    with_a_pass = untouched().checks + [CheckResult("test_linear.py::test_ok", 1.0, 1.0, tags=["linear"])]
    assert not nothing_implemented(with_a_pass)
    all_passed = [CheckResult("test_api.py::test_x", 1.0, 1.0, tags=["api"])]
    assert not nothing_implemented(all_passed)


def test_first_steps_follow_the_modules_then_the_file(tmp_path):
    (tmp_path / "layers.py").write_text(
        "class Linear:\n    def __init__(self):\n        raise NotImplementedError\n"
        "    def forward(self, x):\n        return x\n"
        "    def backward(self, g):\n        raise NotImplementedError('Linear.backward')\n"
        "def helper():\n    raise NotImplementedError\n")
    (tmp_path / "optim.py").write_text("def step():\n    return 1\n")
    missing = CheckResult("test_api.py::test_module_imports[network]", 1.0, status="failed",
                          message="the submission has no network.py.")
    steps = first_steps(tmp_path, ["layers", "optim", "network", "extras"], [missing])
    # a missing file is listed when a check says so; one no check asks for (extras) is not
    assert steps == [{"file": "layers.py", "todo": ["Linear.__init__", "Linear.backward", "helper"]},
                     {"file": "network.py", "todo": [], "missing": True}]


@pytest.mark.parametrize("width", [80, 100])
def test_first_run_wraps_within_the_terminal(width):
    report = text.render(untouched(), width=width)
    assert max(len(line) for line in report.splitlines()) <= width
