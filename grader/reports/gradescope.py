"""Gradescope's autograder results.json.

Fields follow Gradescope's "Autograder Specifications" (results.json):
top-level score / execution_time / output / output_format / visibility /
stdout_visibility / extra_data / tests, and per test score / max_score /
status / name / number / output / output_format / tags / visibility /
extra_data. A test's `name` is the check's human title (what the student
reads); its pytest id, which rubrics key on, is `extra_data.check`.
Gradescope itself enforces each test's visibility, so every test is written
with its own visibility; only the top-level `output` (always shown to the
student) is limited to the checks the student may see now.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

from grader.reports import markdown as md
from grader.reports.build import build_view
from grader.reports.cards import GRADER_ERROR_SENTENCE, cards_by_check, cause_views
from grader.reports.firstrun_view import FIRST_RUN_PER_CHECK, first_run
from grader.reports.labels import BEYOND_HEADING, TRIPPED_LABEL
from grader.reports.sanitize import VISIBILITIES, round_score
from grader.reports.view import CauseView, CheckView, ReportView, where_text
from grader.results import GradingResult

OUTPUT_FORMATS = ("text", "html", "simple_format", "md", "ansi")
TEST_STATUSES = ("passed", "failed")

# Key order is part of the format: golden files and diffs between runs stay readable.
TOP_LEVEL_KEYS = (
    "score", "execution_time", "output", "output_format", "visibility",
    "stdout_visibility", "extra_data", "tests",
)
TEST_KEYS = (
    "name", "number", "score", "max_score", "status", "output", "output_format",
    "tags", "visibility", "extra_data",
)
# Keys Gradescope also accepts; validate_gradescope does not flag them.
_OPTIONAL_TOP_LEVEL = ("test_output_format", "test_name_format", "leaderboard")
_OPTIONAL_TEST = ("name_format",)

_FIRST_RUN_PER_CHECK = md.inline(FIRST_RUN_PER_CHECK)
_DIAGNOSIS_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _cards_by_check(view: ReportView) -> dict[int, tuple[CauseView, bool]]:
    """check index -> (its cause's card, whether this check tells it), over every check.

    Causes are formed within what a student may see now and, separately, within the withheld
    checks, so a visible test never points to a withheld one.
    """
    return cards_by_check(_all_causes(view))


def _all_causes(view: ReportView) -> list[CauseView]:
    """The cards of the checks shown, then those of the withheld checks (numbered after them)."""
    shown = {c.index for c in view.shown}
    withheld = [c for c in view.checks if c.index not in shown]
    start = len(view.causes) + len(view.beyond_causes) + 1
    return view.causes + view.beyond_causes + cause_views(withheld, start=start)


def _test_names(view: ReportView) -> Callable[[int], str]:
    """Card number -> "test 92": Gradescope has no cards, so a card is named by the test that
    tells it (its first check)."""
    first = {c.number: c.first.number for c in _all_causes(view)}
    return lambda n: f"test {md.inline(first[n])}" if n in first else f"problem {n}"


def _pointer(cause: CauseView, check: CheckView) -> str:
    first = cause.first
    where = f"test {md.inline(first.number)} ({md.inline(first.label)})"
    if check in cause.checks:
        return (f"Same cause as {where}: **`{md.inline(cause.id)}`** — {md.trusted(cause.summary)}. "
                "The evidence and how to fix it are under that test.")
    # A symptom told under the cause: what this test saw, then where the fix is.
    symptom = next(s for s in cause.symptoms if check in s.checks)
    return (f"**`{md.inline(symptom.id)}`** — {md.trusted(symptom.headline)}.\n\n"
            f"This follows from **`{md.inline(cause.id)}`** ({md.trusted(cause.summary)}), told under "
            f"{where}: fix that first." + ("\n\n" + md.fenced(check.message) if check.message else "")
            + (f"\n\n**{TRIPPED_LABEL}:**\n\n" + md.fenced(where_text(check)) if check.frames else ""))


def _test_output(check: CheckView, card: tuple[CauseView, bool] | None,
                 names: Callable[[int], str]) -> str:
    if check.passed and not check.message:
        return ""
    if check.passed or card is None:
        head = md.inline(check.message)
    else:
        cause, tells = card
        head = (f"**`{md.inline(cause.id)}`**" + (f" — {md.trusted(cause.headline)}" if cause.headline else "") + "\n\n"
                + md.card_body(cause, with_checks=False, name=names)) if tells else _pointer(cause, check)
    if check.status == "skipped" and not check.passed:
        head = "_Skipped._" + ("\n\n" + head if head else "")
    elif check.status == "error" and not head:
        head = "_The check could not run to completion._"
    if check.beyond_course:
        head = (f"_{md.inline(BEYOND_HEADING)}: {md.inline(check.beyond_course)}._"
                + ("\n\n" + head if head else ""))
    return head


def _test(check: CheckView, card: tuple[CauseView, bool] | None, names: Callable[[int], str],
          untouched: bool = False) -> dict[str, Any]:
    return {
        "name": check.label,
        "number": check.number,
        "score": round_score(check.score),
        "max_score": round_score(check.max_score),
        "status": check.gradescope_status,
        # Nothing implemented yet: the top of the report says what to do, once.
        "output": _FIRST_RUN_PER_CHECK if untouched and not check.passed else _test_output(check, card, names),
        "output_format": "md",
        "tags": list(check.tags),
        "visibility": check.visibility,
        "extra_data": {"check": check.name,
                       "diagnoses": [{"id": d.id, "hint": d.hint} for d in check.diagnoses],
                       **({"beyond_course": check.beyond_course} if check.beyond_course else {}),
                       **({"course_misses": check.course_misses} if check.course_misses else {}),
                       # where the student's code raised, outermost first, for tools that read it
                       **({"frames": [{"file": f.file, "line": f.line, "function": f.function, "code": f.code}
                                      for f in check.frames]} if check.frames else {})},
    }


def _top_output(view: ReportView) -> str:
    if view.grader_error:
        return "\n\n".join([
            f"**{GRADER_ERROR_SENTENCE}**",
            "**Reason:**\n\n" + md.fenced(view.grader_error),
        ])
    graded = [c for c in view.shown if c.status != "not-assigned"]
    first = first_run(view)
    if first:
        note = view.withheld_note(about_total=False)
        return md.first_run_markdown(first, level="####") + (f"\n\n_{md.inline(note)}_" if note else "")
    parts = [f"{sum(c.passed for c in graded)} of {len(graded)} checks shown passed."]
    if view.accuracy is not None:
        acc = f"Test accuracy after training: {md.percent(100 * view.accuracy)}"
        if view.reference_accuracy is not None:
            acc += f" (reference implementation: {md.percent(100 * view.reference_accuracy)})"
        parts.append(acc + ".")
    if view.components:
        parts.append(md.summary_table(view))
    if view.top_causes:
        lines = ["**Most likely problems** (each told in full under its first failed test):", ""]
        lines += [md.top_line(c, _test_names(view)) for c in view.top_causes]
        parts.append("\n".join(lines))
    if view.release:
        why = f": {view.release_why}" if view.release_why else ""
        parts.append(md.inline(f"Graded as {view.release}{why}."))
    parts += md.scope_sections(view, level="####")
    note = view.withheld_note(about_total=False)  # Gradescope shows its own total
    if note:
        parts.append("_" + md.inline(note) + "_")
    return "\n\n".join(parts)


def to_gradescope(
    result: GradingResult,
    *,
    after_due_date: bool = False,
    published: bool = False,
) -> dict[str, Any]:
    """The results.json object for `result` (plain dict, deterministic key order)."""
    # All tests go to Gradescope (it hides what it must); the top-level output is
    # what the student always sees, so it is computed over the shown checks only.
    view = build_view(result, after_due_date=after_due_date, published=published)
    extra: dict[str, Any] = {
        "submission": view.submission,
        "rubric": view.rubric,
        "seed": view.seed,
        "max_score": round_score(view.max_score),
    }
    if view.grader_error:
        extra["grader_error"] = view.grader_error
    if view.accuracy is not None:
        extra["test_accuracy"] = round(view.accuracy, 4)
    if view.reference_accuracy is not None:
        extra["reference_accuracy"] = round(view.reference_accuracy, 4)
    extra["top_diagnoses"] = [d.id for d, _ in view.top_diagnoses]
    if isinstance(blocked := view.artifacts.get("blocked_functions"), list) and blocked:
        # For the staff: each function that hung or spent its time budget, and the check where
        # that was waited out (once in each of the run's check sessions, grader.checks.shards).
        extra["blocked_functions"] = blocked
    if view.release:
        extra["release"] = {"name": view.release, "why": view.release_why}
    if view.not_assigned:
        # max_score above is the assigned components' points; these are left out of it.
        extra["not_assigned"] = [{"component": part, "reason": reason, "points": round_score(worth)}
                                 for part, reason, worth in view.not_assigned]
    cards, names = _cards_by_check(view), _test_names(view)
    untouched = first_run(view) is not None
    return {
        "score": round_score(view.score),  # 0 on a grader error: overrides the tests' total
        # Whole seconds, as in Gradescope's example; some consumers parse it as an int.
        "execution_time": int(round(view.execution_time_s)),
        "output": _top_output(view),
        "output_format": "md",
        "visibility": "visible",
        # The grader's own stdout can name reference internals: instructors only.
        "stdout_visibility": "hidden",
        "extra_data": extra,
        # A check the release does not assign is listed in the output, not as a 0/0 test.
        "tests": [_test(c, cards.get(c.index), names, untouched)
                  for c in view.checks if c.status != "not-assigned"],
    }


def fallback(reason: str, submission: str = "(unknown)") -> dict[str, Any]:
    """A minimal valid results.json when building the real one failed.

    Gradescope shows "the autograder failed to produce results" for a missing
    or invalid file, which tells nobody anything; this says what broke.
    """
    return to_gradescope(GradingResult.from_grader_error(submission, f"report writer failed: {reason}"))


def render(
    result: GradingResult,
    *,
    after_due_date: bool = False,
    published: bool = False,
    show_hidden: bool = False,  # accepted for a uniform writer API; Gradescope enforces visibility
) -> str:
    obj = to_gradescope(result, after_due_date=after_due_date, published=published)
    # allow_nan=False: NaN/Infinity are not JSON and Gradescope would reject the file.
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- validation


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_visibility(where: str, value: Any, problems: list[str]) -> None:
    if value not in VISIBILITIES:
        problems.append(f"{where}: visibility {value!r} is not one of {', '.join(VISIBILITIES)}")


def _check_format(where: str, value: Any, problems: list[str]) -> None:
    if value not in OUTPUT_FORMATS:
        problems.append(f"{where}: output_format {value!r} is not one of {', '.join(OUTPUT_FORMATS)}")


def _validate_test(i: int, test: Any, problems: list[str]) -> None:
    where = f"tests[{i}]"
    if not isinstance(test, dict):
        problems.append(f"{where}: not an object")
        return
    for key in TEST_KEYS:
        if key not in test:
            problems.append(f"{where}: missing {key!r}")
    for key in test:
        if key not in TEST_KEYS and key not in _OPTIONAL_TEST:
            problems.append(f"{where}: unknown key {key!r}")
    if "name" in test and not isinstance(test["name"], str):
        problems.append(f"{where}: name must be a string")
    if "number" in test and not isinstance(test["number"], str):
        problems.append(f"{where}: number must be a string")
    for key in ("score", "max_score"):
        if key in test and not _is_number(test[key]):
            problems.append(f"{where}: {key} must be a finite number, got {test[key]!r}")
    if _is_number(test.get("max_score")) and test["max_score"] < 0:
        problems.append(f"{where}: max_score is negative")
    if "status" in test and test["status"] not in TEST_STATUSES:
        problems.append(f"{where}: status {test['status']!r} is not 'passed' or 'failed'")
    if "output" in test and not isinstance(test["output"], str):
        problems.append(f"{where}: output must be a string")
    if "output_format" in test:
        _check_format(where, test["output_format"], problems)
    if "tags" in test and not (
        isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
    ):
        problems.append(f"{where}: tags must be a list of strings")
    if "visibility" in test:
        _check_visibility(where, test["visibility"], problems)
    if "extra_data" in test:
        extra = test["extra_data"]
        if not (isinstance(extra, dict) and isinstance(extra.get("check"), str) and extra["check"]):
            problems.append(f"{where}: extra_data.check must name the check's id (a non-empty string)")
        diagnoses = extra.get("diagnoses") if isinstance(extra, dict) else None
        if not isinstance(diagnoses, list):
            problems.append(f"{where}: extra_data.diagnoses must be a list")
        else:
            for j, d in enumerate(diagnoses):
                if not (isinstance(d, dict) and isinstance(d.get("id"), str)
                        and isinstance(d.get("hint"), str)):
                    problems.append(f"{where}: extra_data.diagnoses[{j}] needs string id and hint")
                elif not _DIAGNOSIS_ID.match(d["id"]):
                    problems.append(f"{where}: diagnosis id {d['id']!r} is not kebab-case")


def validate_gradescope(obj: Any) -> list[str]:
    """Problems that would make Gradescope reject or misread `obj` as results.json; [] if none.

    Stricter than Gradescope on purpose: every field this writer promises must
    be present and unknown keys are flagged, since a misspelt key is silently
    ignored by Gradescope.
    """
    problems: list[str] = []
    if not isinstance(obj, dict):
        return ["results.json must be a JSON object"]
    try:
        json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"not serialisable as strict JSON: {exc}")
    for key in TOP_LEVEL_KEYS:
        if key not in obj:
            problems.append(f"missing top-level {key!r}")
    for key in obj:
        if key not in TOP_LEVEL_KEYS and key not in _OPTIONAL_TOP_LEVEL:
            problems.append(f"unknown top-level key {key!r}")
    if "score" in obj and not _is_number(obj["score"]):
        problems.append(f"score must be a finite number, got {obj['score']!r}")
    if "execution_time" in obj and not (_is_number(obj["execution_time"]) and obj["execution_time"] >= 0):
        problems.append("execution_time must be a non-negative number of seconds")
    if "output" in obj and not isinstance(obj["output"], str):
        problems.append("output must be a string")
    if "output_format" in obj:
        _check_format("top level", obj["output_format"], problems)
    for key in ("visibility", "stdout_visibility"):
        if key in obj and obj[key] not in VISIBILITIES:
            problems.append(f"{key} {obj[key]!r} is not one of {', '.join(VISIBILITIES)}")
    if "extra_data" in obj and not isinstance(obj["extra_data"], dict):
        problems.append("extra_data must be an object")
    tests = obj.get("tests")
    if "tests" in obj and not isinstance(tests, list):
        problems.append("tests must be a list")
    elif isinstance(tests, list):
        for i, test in enumerate(tests):
            _validate_test(i, test, problems)
    return problems
