"""Gradescope results.json: schema, scores, visibility, student-facing output."""

from __future__ import annotations

import copy
import json
import re

import pytest
from markdown_it import MarkdownIt
from reports_fixtures import RESULTS, all_passed, grader_error, mixed

from grader.reports import render, to_gradescope, validate_gradescope
from grader.reports.gradescope import TEST_KEYS, TOP_LEVEL_KEYS
from grader.results import CheckResult, GradingResult


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_fixture_validates(name: str) -> None:
    obj = json.loads(render(RESULTS[name](), "json"))
    assert validate_gradescope(obj) == []


def test_key_order_is_fixed() -> None:
    obj = json.loads(render(mixed(), "json"))
    assert tuple(obj) == TOP_LEVEL_KEYS
    assert all(tuple(t) == TEST_KEYS for t in obj["tests"])


def test_scores_and_statuses() -> None:
    obj = to_gradescope(mixed())
    assert obj["score"] == pytest.approx(2 + 0 + 0 + 2 + 0 + 2.5 + 0 + 3 + 0)
    by_name = {t["name"]: t for t in obj["tests"]}
    assert by_name["Network exposes forward, backward and parameters"]["status"] == "passed"
    assert by_name["Linear backward matches numerical gradient"]["status"] == "failed"
    # Gradescope has only passed/failed: an error fails, a skip without points fails.
    assert by_name["Softmax is stable for large logits"]["status"] == "failed"
    assert by_name["SGD updates every parameter"]["status"] == "failed"
    assert by_name["Training learns all classes"]["score"] == 2.5
    assert [t["number"] for t in obj["tests"]][:2] == ["1.1", "2.2"]


def test_visibility_passes_through_to_each_test() -> None:
    obj = to_gradescope(mixed())
    vis = {t["name"]: t["visibility"] for t in obj["tests"]}
    assert vis["Hidden robustness check"] == "hidden"
    assert vis["Performance after due date"] == "after_due_date"
    assert vis["Published-only MSE check"] == "after_published"
    assert vis["Training learns all classes"] == "visible"
    assert obj["stdout_visibility"] == "hidden"


def test_top_level_output_never_mentions_withheld_checks() -> None:
    obj = to_gradescope(mixed())
    assert "input-mutation" not in obj["output"]  # diagnosis of the hidden check only
    assert "loss-reduction" not in obj["output"]  # of the after_published one
    assert "robustness" not in obj["output"]
    assert "3 more checks" in obj["output"]
    assert "| mse |" not in obj["output"]
    published = to_gradescope(mixed(), published=True)
    assert "| mse | 0.00 / 1.00 | 0 / 1 |" in published["output"]
    assert "2 more checks" in published["output"]
    assert "input-mutation" not in published["output"]


def test_diagnoses_in_extra_data() -> None:
    obj = to_gradescope(mixed())
    linear = obj["tests"][1]
    assert linear["extra_data"]["diagnoses"] == [
        {"id": "bias-gradient-not-summed",
         "hint": "Sum the bias gradient over the batch axis: `db = dout.sum(axis=0)`."},
        {"id": "gradient-scale", "hint": "Your dW is N times too large: divide by the batch size once."},
    ]
    assert obj["tests"][0]["extra_data"] == {"check": "Network exposes forward, backward and parameters",
                                             "diagnoses": []}
    assert obj["extra_data"]["top_diagnoses"][0] == "bias-gradient-not-summed"


def test_failed_test_output_has_hints_example_and_labelled_student_output() -> None:
    out = to_gradescope(mixed())["tests"][1]["output"]
    assert "Sum the bias gradient over the batch axis" in out
    assert "Falsifying example: test_linear_backward(" in out
    assert "Output printed by your code" in out
    assert "not the grader's" in out
    # The student's text survives, minus what is unsafe.
    assert "<script>alert('xss')</script>" in out  # inside a code block, see markdown tests
    for bad in ("\x1b", "\x00", "\x07", "\x9b", "\udcff", "\u202e", "\r"):
        assert bad not in out
    assert "red text" in out and "evil title" not in out


def test_long_output_is_truncated_with_a_note() -> None:
    out = to_gradescope(mixed())["tests"][2]["output"]
    assert "lines omitted" in out  # says what was cut
    assert "line 0:" in out and "line 199:" in out  # head and tail kept
    assert len(out) < 6000


def test_grader_error_scores_zero_and_names_the_reason() -> None:
    obj = to_gradescope(grader_error())
    assert obj["score"] == 0
    assert "grader itself failed" in obj["output"]
    assert "BrokenPipeError" in obj["output"]
    assert obj["extra_data"]["grader_error"].startswith("sandbox worker died")
    assert validate_gradescope(obj) == []


def test_non_finite_scores_still_give_strict_json() -> None:
    result = GradingResult("x.py", [CheckResult("nan", float("nan"), float("inf"), status="failed")])
    text = render(result, "json")
    obj = json.loads(text)  # strict: NaN would not even be written (allow_nan=False)
    assert obj["tests"][0]["score"] == 0.0 and obj["tests"][0]["max_score"] == 0.0
    assert validate_gradescope(obj) == []


def _valid() -> dict:
    return to_gradescope(mixed())


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda o: o.pop("score"), "missing top-level 'score'"),
        (lambda o: o.__setitem__("score", "44"), "score must be a finite number"),
        (lambda o: o.__setitem__("score", float("nan")), "not serialisable"),
        (lambda o: o.__setitem__("visibility", "public"), "visibility 'public'"),
        (lambda o: o.__setitem__("output_format", "markdown"), "output_format 'markdown'"),
        (lambda o: o.__setitem__("execution_time", -1), "execution_time"),
        (lambda o: o.__setitem__("tests", {}), "tests must be a list"),
        (lambda o: o.__setitem__("scroe", 1), "unknown top-level key 'scroe'"),
        (lambda o: o["tests"][0].__setitem__("status", "error"), "tests[0]: status 'error'"),
        (lambda o: o["tests"][1].pop("max_score"), "tests[1]: missing 'max_score'"),
        (lambda o: o["tests"][1].__setitem__("output", None), "tests[1]: output must be a string"),
        (lambda o: o["tests"][1].__setitem__("tags", "linear"), "tags must be a list of strings"),
        (lambda o: o["tests"][1].__setitem__("visibility", "secret"), "visibility 'secret'"),
        (lambda o: o["tests"][1].__setitem__("number", 2.2), "number must be a string"),
        (lambda o: o["tests"][1].__setitem__("maxscore", 2), "unknown key 'maxscore'"),
        (lambda o: o["tests"][1]["extra_data"].__setitem__("diagnoses", [{"id": "Wrong Gradient", "hint": "x"}]),
         "not kebab-case"),
        (lambda o: o["tests"][1]["extra_data"].__setitem__("diagnoses", [{"id": "crash"}]), "string id and hint"),
        (lambda o: o["tests"][1]["extra_data"].pop("check"), "tests[1]: extra_data.check must name"),
        (lambda o: o["tests"].append("nope"), "not an object"),
    ],
)
def test_broken_objects_are_reported(breakage, expected: str) -> None:
    obj = copy.deepcopy(_valid())
    breakage(obj)
    problems = validate_gradescope(obj)
    assert any(expected in p for p in problems), problems


def test_non_object_is_reported() -> None:
    assert validate_gradescope([]) == ["results.json must be a JSON object"]


def test_all_passed_has_empty_test_outputs_except_messages() -> None:
    obj = to_gradescope(all_passed())
    assert obj["score"] == 28.0
    assert [t["output"] for t in obj["tests"] if t["output"]] == ["accuracy 0.947 \\(bar 0.90\\)"]
    assert obj["extra_data"]["test_accuracy"] == 0.947


def _prose(html: str) -> str:
    """The rendered text outside code blocks and code spans, tags removed."""
    html = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_outputs_render_as_markdown_a_student_reads(name: str) -> None:
    # Gradescope renders output_format "md" as Markdown: what the student sees is the
    # rendered page, so no marker may show through and their own text must stay inert.
    md = MarkdownIt("commonmark").enable("table")
    obj = to_gradescope(RESULTS[name](), published=True)
    outputs = [obj["output"]] + [t["output"] for t in obj["tests"] if t["output"]]
    for output in outputs:
        html = md.render(output)
        prose = _prose(html)
        assert "**" not in prose and "``" not in prose and "\\(" not in prose, output
        assert "<script" not in html and "<img" not in html, output
        assert not re.search(r"<h\d>Injected", html), output
    if name == "mixed":
        rendered = "".join(md.render(o) for o in outputs)
        assert "<strong>What went wrong:</strong>" in rendered
        assert "<strong>How to fix it:</strong>" in rendered
        assert "<table>" in md.render(obj["output"])  # the component table is a table
        assert "# Injected heading" in rendered  # the student's heading shown as code
