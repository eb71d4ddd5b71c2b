"""What a collected check declares: its name, its component tags, its title, its markers.

Read from the pytest item the plugin collects (`grader.checks.plugin`), and by the tools
that list the checks without running them.
"""

from __future__ import annotations

from typing import Any, Mapping

import pytest


def component_of(item: pytest.Item) -> list[str]:
    """The check's tags, closest marker first (a param's tag beats its function's)."""
    for marker in item.iter_markers("tags"):
        return [str(tag) for tag in marker.args]
    return []


def title_of(item: pytest.Item) -> str:
    """The check's human title: its `title` marker (closest first) with `{param}` fields
    filled from its parameters, each shown through the marker's mapping for that parameter
    if it has one (`title("{kind}: ...", kind={"relu": "ReLU"})`: the id stays "relu");
    without a marker, its function name in words ("forward large inputs (relu)") so an
    instructor's own check still reads as words."""
    params: dict[str, Any] = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
    for marker in item.iter_markers("title"):
        text = str(marker.args[0]) if marker.args else ""
        shown = {name: _shown(value, marker.kwargs.get(name)) for name, value in params.items()}
        try:
            return text.format(**shown)
        except (KeyError, IndexError, ValueError):
            return text
    base = getattr(item, "originalname", None) or item.name.split("[")[0]
    words = base.removeprefix("test_").replace("_", " ").strip()
    suffix = item.name[len(base):].strip("[]")
    return f"{words} ({suffix})" if suffix else words


def _shown(value: Any, names: Mapping[Any, str] | None) -> Any:
    """A parameter as a title shows it: its name in `names` when listed there."""
    try:
        return names[value] if names is not None and value in names else value
    except TypeError:  # an unhashable parameter value (or no mapping given): shown as it is
        return value


def marker_text(item: pytest.Item, name: str) -> str:
    """The reason given to the closest `name` marker (beyond_course, course_misses), or ""."""
    for marker in item.iter_markers(name):
        return str(marker.args[0]) if marker.args else "not tested by the course's own tests"
    return ""


def check_name(item: pytest.Item) -> str:
    return name_of(item.nodeid)


def name_of(nodeid: str) -> str:
    """A check's name in reports and rubrics: its node id without the folder."""
    return nodeid.split("/")[-1]
