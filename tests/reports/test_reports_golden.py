"""Every writer against a golden file, for every fixture result."""

from __future__ import annotations

import pytest
from reports_fixtures import RESULTS, mask_images

from grader.reports import FORMATS, render

EXTENSION = {"json": "json", "junit": "xml", "markdown": "md", "text": "txt", "html": "html"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_matches_golden(golden, name: str, fmt: str) -> None:
    out = render(RESULTS[name](), fmt)
    if fmt == "html":
        out = mask_images(out)
    golden(f"{name}.{EXTENSION[fmt]}", out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_is_deterministic(fmt: str) -> None:
    # Golden files are only meaningful if two renders of the same result agree
    # byte for byte (images included: no timestamps or versions in the PNGs).
    from reports_fixtures import mixed

    assert render(mixed(), fmt) == render(mixed(), fmt)
