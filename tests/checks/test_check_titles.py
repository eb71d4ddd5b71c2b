"""Every grading check of every profile carries a human title (the `title` marker) that a
student can read in place of its pytest id: explicit, unique within its profile, free of
pytest syntax, and different for each of a parametrised check's parameters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest

from grading_helpers import collect_checks

from grader.checks.plugin import check_name, title_of
from grader.profiles import PROFILE_NAMES, get_profile

# "~60 characters" in the developers' guide; a little slack so a good title is not cut.
MAX_TITLE = 64


@dataclass(frozen=True)
class Collected:
    name: str        # the pytest id rubrics key on, e.g. "test_linear.py::test_forward"
    function: str    # the check function, shared by all of its parameters
    title: str       # as the reports show it (params filled in, the profile's words)
    explicit: bool   # carries a `title` marker (not the fallback from the function name)


def _collect(profile_name: str) -> list[Collected]:
    """The profile's checks as a grading run collects them (same pytest arguments)."""
    profile = get_profile(profile_name)
    return [Collected(check_name(item), check_name(item).split("[")[0], profile.phrase(title_of(item)),
                      item.get_closest_marker("title") is not None) for item in collect_checks(profile_name)]


@pytest.fixture(scope="module", params=PROFILE_NAMES)
def checks(request: pytest.FixtureRequest) -> list[Collected]:
    found = _collect(request.param)
    assert found, f"no checks collected for the {request.param} profile"
    return found


def test_every_check_has_an_explicit_title(checks: list[Collected]) -> None:
    untitled = sorted({c.function for c in checks if not c.explicit})
    assert not untitled, f"checks without @title(...) from grader.checks.framework: {untitled}"


def test_titles_are_unique_within_the_profile(checks: list[Collected]) -> None:
    by_title: dict[str, list[str]] = defaultdict(list)
    for c in checks:
        by_title[c.title].append(c.name)
    shared = {title: names for title, names in by_title.items() if len(names) > 1}
    assert not shared, f"checks sharing a title: {shared}"


def test_titles_read_as_words(checks: list[Collected]) -> None:
    for c in checks:
        assert c.title.strip() == c.title and c.title, c.name
        assert "test_" not in c.title and "::" not in c.title, f"{c.name}: {c.title!r} reads like an id"
        assert "{" not in c.title and "}" not in c.title, f"{c.name}: unfilled field in {c.title!r}"
        assert len(c.title) <= MAX_TITLE, f"{c.name}: {c.title!r} is over {MAX_TITLE} characters"


def test_parametrised_titles_differ_between_parameters(checks: list[Collected]) -> None:
    titles: dict[str, list[str]] = defaultdict(list)
    for c in checks:
        titles[c.function].append(c.title)
    same = {function: shown for function, shown in titles.items() if len(set(shown)) < len(shown)}
    assert not same, f"parametrised checks whose title ignores the parameter: {same}"


def test_parameters_show_as_the_students_names() -> None:
    """A mapping on the marker renders "relu" as "ReLU" while the pytest id (the rubric's key)
    keeps the parameter's own id."""
    titles = {c.name: c.title for c in _collect("default")}
    assert titles["test_activations.py::test_forward[relu]"] == "ReLU: forward matches the formula"
    assert titles["test_mlp.py::test_forward[tanh]"] == "MLP with Tanh: forward composes its layers"
    assert titles["test_sgd.py::test_step[0.37]"].count("0.37") == 1  # a parameter with no mapping
