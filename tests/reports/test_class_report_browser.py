"""The class report as a real browser renders it: Debian's chromium, headless (CI installs it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from headless import CHROMIUM, chromium
from matplotlib import image as mpl_image
from test_class_report import _class

from grader.reports.classreport import write_class_report

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    return write_class_report(_class(), folder, report_links={"bob": "bob.json"}).html


def test_browser_parses_the_page_as_written(page: Path, tmp_path: Path) -> None:
    run = chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = run.stdout
    assert "<h1>Class report</h1>" in dom, run.stderr[-2000:]
    # The browser kept every table and heading: nothing was swallowed by a markup error.
    assert dom.count("<table>") == page.read_text().count("<table>") >= 4
    assert "&lt;b&gt;zed&lt;/b&gt;" in dom and "<b>zed</b>" not in dom
    assert dom.count('<img alt="') == 2
    # Nothing was blocked: the page asks for no resource its CSP forbids.
    assert "Content Security Policy" not in run.stderr and "Refused to" not in run.stderr


def test_browser_paints_the_page(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "class.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", "--hide-scrollbars",
                    page.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    pixels = mpl_image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1400, 1000)
    ink = np.mean(np.any(pixels < 0.9, axis=-1))
    # Text, tables and the two histograms cover a real part of the page; a blank or
    # unstyled-error page would be almost all white.
    assert ink > 0.03, f"only {ink:.1%} of the page is painted"
    # The histograms' bars use matplotlib's default blue: the inline PNGs were drawn.
    blue = np.all(np.abs(pixels - np.array([0.12, 0.47, 0.71])) < 0.08, axis=-1)
    assert blue.sum() > 500
