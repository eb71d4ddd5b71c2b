"""A check's human title is what every machine-readable writer names it by; its pytest id
(rubrics key on it) stays available to instructors beside it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grader.reports import render, validate_gradescope
from grader.results import CheckResult, Diagnosis, GradingResult

ID = "test_activations.py::test_backward[relu]"
TITLE = "ReLU: backward multiplies by the derivative"


def _titled() -> GradingResult:
    return GradingResult(submission="carol", rubric="default", seed=3, execution_time_s=1.0, checks=[
        CheckResult(ID, 2.0, 0.0, status="failed", tags=["relu"], number="1", title=TITLE,
                    diagnoses=[Diagnosis("relu-mask", "mask by the forward's input")]),
        CheckResult("sub/test_extra.py::test_more", 1.0, 1.0, tags=["other"], number="2",
                    title="An instructor's own check"),
        CheckResult("an untitled check", 1.0, 1.0, tags=["api"], number="3"),
    ])


def test_gradescope_names_the_test_by_its_title_and_keeps_the_id() -> None:
    obj = json.loads(render(_titled(), "json"))
    assert validate_gradescope(obj) == []
    first, _, untitled = obj["tests"]
    assert (first["name"], first["extra_data"]["check"]) == (TITLE, ID)
    assert first["number"] == "1"
    assert (untitled["name"], untitled["extra_data"]["check"]) == ("an untitled check",) * 2


def test_junit_names_the_case_by_its_title_in_its_module() -> None:
    root = ET.fromstring(render(_titled(), "junit").encode("utf-8"))
    cases = root.find("testsuite").findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("test_activations", TITLE), ("sub.test_extra", "An instructor's own check"),
        ("api", "an untitled check")]
    props = {p.get("name"): p.get("value") for p in cases[0].find("properties")}
    assert props["check"] == ID


def test_markdown_heads_a_failed_check_with_its_title_and_the_id_small() -> None:
    text = render(_titled(), "markdown")
    heading = next(line for line in text.splitlines() if line.startswith("#### "))
    assert heading.startswith("#### Problem 1: `relu-mask`") and "test_" not in heading
    # Under the card's heading, the check by its title, its id small.
    assert f"- ❌ 1 {TITLE} — 0.00 / 2.00 <sub>test\\_activations.py::test\\_backward\\[relu\\]</sub>" in text


def test_markdown_has_one_precision_of_two_decimals() -> None:
    result = _titled()
    result.checks[0].score = 2 / 3 * 2  # never a real score (they are whole cents): shows rounding
    result.artifacts = {"test_accuracy": 0.98765, "reference_accuracy": 0.5}
    result.execution_time_s = 12.3456
    text = render(result, "markdown")
    assert "1.33 / 2.00" in text
    assert "test accuracy 98.77% (reference 50%)" in text and "time 12.35 s" in text
    assert "**Score: 3.33 / 4.00 (83.33%)**" in text
    assert json.loads(render(result, "json"))["tests"][0]["score"] == round(4 / 3, 4)
