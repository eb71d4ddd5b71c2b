"""Issue 20's report groups in every format: checks beyond the course's own tests, parts the
graded release does not assign, the release in the facts, and a bug the course misses."""

from __future__ import annotations

import html
import json

import pytest
from reports_fixtures import all_passed, course_scope

from grader.reports import FORMATS, render
from grader.reports.gradescope import to_gradescope, validate_gradescope


def _readable(fmt: str, text: str) -> str:
    """The report as words: markup escapes undone, so sentences can be searched for."""
    if fmt == "json":
        return json.dumps(json.loads(text), ensure_ascii=False).replace("\\\\", "")
    text = html.unescape(text)
    return text.replace("\\", "") if fmt in ("markdown",) else text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_names_the_release_and_the_parts_not_assigned(fmt: str) -> None:
    text = _readable(fmt, render(course_scope(), fmt))
    assert "CS231n 2022 assignment1" in text
    assert "fc_net.py has TwoLayerNet only" in text
    assert "batchnorm" in text
    assert "the 2022 handout says nothing about copies" in text
    if fmt != "junit":  # JUnit lists them as properties and skipped cases, without headings
        assert "Not part of this assignment" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_checks_beyond_the_course_in_their_own_words(fmt: str) -> None:
    text = _readable(fmt, render(course_scope(), fmt))
    assert "Beyond the course's own tests" in text
    assert "the course's own tests never look at x after the call" in text
    assert "input-mutation" in text
    assert "the course's autograder gives 100/100 to this bug" in text


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_the_beyond_group_says_it_costs_no_points(fmt: str) -> None:
    assert "Beyond the course's own tests: no points" in _readable(fmt, render(course_scope(), fmt))


def test_a_beyond_failure_is_not_among_the_failures_or_the_likely_problems() -> None:
    text = render(course_scope(), "text")
    failures = text.split("Score by component")[0]
    assert "sgd_momentum: one step" in failures
    assert "leaves x unchanged" not in failures
    likely = text.split("Most likely problems:")[1]
    assert "input-mutation" not in likely


def test_gradescope_stays_valid_and_its_maximum_is_the_assigned_points() -> None:
    results = to_gradescope(course_scope())
    assert validate_gradescope(results) == []
    assert results["extra_data"]["max_score"] == 10.0  # batchnorm's 10 points are not in it
    assert results["extra_data"]["not_assigned"][0]["points"] == 10.0
    names = [t["extra_data"]["check"] for t in results["tests"]]
    assert "test_layers.py::test_copy" not in names  # not assigned: in the output, not a 0/0 test
    beyond = {t["extra_data"]["check"]: t for t in results["tests"] if "beyond_course" in t["extra_data"]}
    assert set(beyond) == {"test_layers.py::test_relu_keeps_input", "test_layers.py::test_softmax_large"}
    assert all(t["max_score"] == 0 for t in beyond.values())


def test_junit_counts_a_not_assigned_check_as_skipped() -> None:
    xml = render(course_scope(), "junit")
    assert 'skipped="1"' in xml
    assert "Not part of this assignment: the 2022 handout says nothing about copies" in xml


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_without_releases_shows_none_of_the_new_groups(fmt: str) -> None:
    text = _readable(fmt, render(all_passed(), fmt))
    assert "Beyond the course's own tests" not in text
    assert "Not part of this assignment" not in text
    assert "graded as" not in text.lower()


def test_the_terminal_folds_the_passing_beyond_checks_and_lists_them_when_verbose() -> None:
    """A passing run of a course profile has dozens of checks beyond the course's tests: the
    terminal says how many passed in one line; -v lists each, its reason indented under it on
    every wrapped line (at 100 columns a long reason used to wrap to column 0)."""
    import io

    from grader.reports import write_report

    result = course_scope()
    reason = "no build of the course's autograder tries inputs this large, nor ever passes a batch of one"
    for check in result.checks:
        if check.beyond_course and check.status == "passed":
            check.beyond_course = f"{reason}; {reason}"
    folded = render(result, "text")
    assert "1 other check passed (-v lists it" in folded
    assert "softmax_loss: large scores" not in folded and reason not in folded
    out = io.StringIO()
    write_report(result, "text", out, verbose=True, color=False)
    listed = out.getvalue().split("Beyond the course's own tests")[1].split("Problem 2")[0]
    assert "[PASS] 4 softmax_loss: large scores" in listed
    lines = [line for line in listed.splitlines()[1:] if line.strip()]
    assert len(lines) >= 3 and all(line.startswith("    ") for line in lines[1:]), lines
