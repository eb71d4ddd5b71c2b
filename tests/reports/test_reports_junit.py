"""JUnit XML: parses, counts match, everything escaped, visibility applied."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from reports_fixtures import RESULTS, grader_error, mixed

from grader.reports import render


def _suite(xml_text: str) -> ET.Element:
    root = ET.fromstring(xml_text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return suites[0]


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_parses_and_counts_match(name: str) -> None:
    text = render(RESULTS[name](), "junit")
    root = ET.fromstring(text.encode("utf-8"))
    suite = _suite(text)
    cases = suite.findall("testcase")
    for el in (root, suite):
        assert int(el.get("tests")) == len(cases)
        assert int(el.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(el.get("errors")) == sum(c.find("error") is not None for c in cases)
        assert int(el.get("skipped")) == sum(c.find("skipped") is not None for c in cases)


def test_mixed_counts_and_classnames() -> None:
    suite = _suite(render(mixed(), "junit"))
    cases = suite.findall("testcase")
    # 9 checks, minus hidden, after_due_date and after_published ones.
    assert len(cases) == 6
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("2", "1", "1")
    assert [c.get("classname") for c in cases] == ["api", "linear", "softmax", "cross-entropy", "sgd", "training"]
    names = [c.get("name") for c in cases]
    assert "Hidden robustness check" not in names
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["withheld_checks"] == "3"
    # The suite score must not give away the withheld checks' results.
    assert (props["score"], props["max_score"]) == ("6.5", "23.0")


def test_failure_carries_diagnosis_type_and_details() -> None:
    suite = _suite(render(mixed(), "junit"))
    linear = suite.findall("testcase")[1]
    failure = linear.find("failure")
    assert failure.get("type") == "bias-gradient-not-summed"
    # The one-line summary names the cause; the body tells its card: evidence, then the fix.
    assert failure.get("message") == "bias-gradient-not-summed: Sum the bias gradient over the batch axis: " \
        "`db = dout.sum(axis=0)`"
    assert "db has shape (4, 3), expected (3,)" in failure.text
    assert "gradient-scale: Your dW is N times too large" in failure.text
    assert failure.text.index("What went wrong") < failure.text.index("How to fix it:")
    assert "Falsifying example" in failure.text
    props = {p.get("name"): p.get("value") for p in linear.find("properties")}
    assert (props["score"], props["max_score"]) == ("0.0", "5.0")
    assert linear.find("system-out") is not None
    error = suite.findall("testcase")[2].find("error")
    assert error.get("type") == "softmax-overflow"
    assert "\n" not in error.get("message")  # a one-line summary for CI UIs


def test_student_output_round_trips_escaped_and_without_invalid_characters() -> None:
    text = render(mixed(), "junit")
    # The student's closing tags did not close anything: still one suite, the same cases.
    assert "<testcase name=\"pwned\"" not in text
    assert "&lt;/testcase&gt;" in text
    suite = _suite(text)
    out = suite.findall("testcase")[1].find("system-out").text
    assert "</failure></testcase></testsuite>" in out
    assert "<script>alert('xss')</script>" in out
    assert "]]>" in out
    for bad in ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x9b"):
        assert bad not in out
    assert "red text" in out


def test_show_hidden_includes_every_check() -> None:
    text = render(mixed(), "junit", show_hidden=True)
    assert len(_suite(text).findall("testcase")) == 9
    assert "SECRET hidden detail" in text


def test_grader_error_is_an_error_case() -> None:
    suite = _suite(render(grader_error(), "junit"))
    first = suite.findall("testcase")[0]
    assert first.get("name") == "grader-error"
    assert first.find("error").get("type") == "grader-error"
    assert "BrokenPipeError" in first.find("error").get("message")
    assert suite.get("errors") == "1"
