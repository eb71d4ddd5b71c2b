"""The "Where in your code" block and the first-run report as chromium paints them at 1280 and
400 px: painted, and nothing sticks out of a phone's width."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from headless import CHROMIUM, screenshot
from test_reports_first_run import untouched
from test_reports_frames import crashed

from grader.reports import render
from grader.results import Frame

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


def _page(tmp_path: Path, result) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render(result, "html"), encoding="utf-8")
    return path


def _long_line_crash():
    result = crashed()
    long_code = "layer.b = layer.b - self.learning_rate * layer.db  # " + "a long comment " * 8
    result.checks[1].frames = [*result.checks[1].frames[:-1], Frame("optim.py", 22, "step", long_code)]
    return result


def _ink_rows_at_the_right_edge(pixels: np.ndarray, margin: int = 8) -> int:
    return int(np.any(pixels[:, -margin:] < 0.97, axis=(1, 2)).sum())


@pytest.mark.parametrize("make", [_long_line_crash, untouched], ids=["crash", "first-run"])
@pytest.mark.parametrize("width", [1280, 400])
def test_painted_and_within_the_window(tmp_path, make, width):
    pixels = screenshot(_page(tmp_path, make()), tmp_path / "shot.png", width, 2500)
    assert np.mean(np.any(pixels < 0.9, axis=-1)) > 0.01  # the page was painted at all
    assert _ink_rows_at_the_right_edge(pixels) == 0
