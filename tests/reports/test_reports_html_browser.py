"""The student's HTML report as a real browser renders it: Debian's chromium, headless (CI installs it)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from headless import CHROMIUM, chromium, console_problems, screenshot
from matplotlib import image as mpl_image
from reports_fixtures import mixed

from grader.reports import plots, render
from grader.results import CheckResult, GradingResult

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")

PHONE = 375
# The student's curve (matplotlib's default blue) and the reference's pale orange band over white.
BLUE = np.array([0x1F, 0x77, 0xB4]) / 255
ORANGE_BAND = 0.55 * np.array([0xF4, 0xA2, 0x59]) / 255 + 0.45


def _failing_result() -> GradingResult:
    """The mixed fixture, everything shown, plus the longest unbreakable strings a report can hold."""
    result = mixed()
    result.checks[1].title = "Linear: backward matches numerical gradients"
    result.checks[1].message = "expected_" + "x" * 400  # no space to wrap at
    result.checks[2].name = "test_softmax.py::test_stable_for_large_logits[" + "1e308-" * 30 + "]"
    return result


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render(_failing_result(), "html", show_hidden=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dom(page: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    run = chromium(tmp_path_factory.mktemp("dom"), "--dump-dom", page.as_uri())
    assert "<h1>Grading report:" in run.stdout, run.stderr[-2000:]
    # Nothing logged to the console, nothing blocked by the CSP, nothing failed to load.
    assert console_problems(run.stderr) == []
    return run.stdout


def test_every_plot_in_the_parsed_page_is_a_real_png(dom: str) -> None:
    images = dict(re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', dom))
    assert set(images) == {"learning curve", "confusion matrix", "class histogram"}
    for alt, data in images.items():
        png = base64.b64decode(data, validate=True)
        assert png.startswith(plots.PNG_MAGIC), alt
        pixels = mpl_image.imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300, alt
        assert pixels[..., :3].std() > 0.05, f"{alt} is a blank picture"


def test_failing_checks_come_before_passed_ones_in_the_dom(dom: str) -> None:
    first_card = dom.index('<section class="check')
    first_fold = dom.index('<details class="component">')
    last_card = dom.rindex('<section class="check')
    assert dom.index('<p class="score">') < dom.index("Most likely problems") < first_card
    assert last_card < first_fold < dom.index("<h2>Training</h2>")
    # The browser kept every card and fold: no markup error swallowed one.
    assert dom.count('<section class="check') == 6 and dom.count('<details class="component">') == 9


def test_both_learning_curves_are_painted(page: Path, tmp_path: Path) -> None:
    pixels = screenshot(page, tmp_path / "desktop.png", 1000, 5000)
    ink = np.mean(np.any(pixels < 0.9, axis=-1))
    assert ink > 0.02, f"only {ink:.1%} of the page is painted"
    for name, colour in (("student's line", BLUE), ("reference's band", ORANGE_BAND)):
        near = np.all(np.abs(pixels - colour) < 0.06, axis=-1)
        assert near.sum() > 300, f"the {name} is not on the page"


def _overflow_columns(pixels: np.ndarray, margin: int = 8) -> int:
    """How many pixel rows have ink in the rightmost `margin` columns (the body's padding when nothing overflows)."""
    return int(np.any(pixels[:, -margin:] < 0.97, axis=(1, 2)).sum())


def test_nothing_is_wider_than_a_phone(page: Path, tmp_path: Path) -> None:
    pixels = screenshot(page, tmp_path / "phone.png", PHONE, 7000)
    assert np.mean(np.any(pixels < 0.9, axis=-1)) > 0.02  # the page was painted at all
    assert _overflow_columns(pixels) == 0


def test_the_phone_check_sees_an_overflow(page: Path, tmp_path: Path) -> None:
    # Control: without the rule that shrinks images, the 550 px plots stick out of a
    # 375 px window, and the measure above must notice.
    wide = tmp_path / "wide.html"
    html = page.read_text(encoding="utf-8")
    assert "img { max-width: 100%; height: auto; }" in html
    wide.write_text(html.replace("img { max-width: 100%; height: auto; }", ""), encoding="utf-8")
    assert _overflow_columns(screenshot(wide, tmp_path / "wide.png", PHONE, 7000)) > 100


PRINT_UNFOLD = "details::details-content { content-visibility: visible; display: block; }"


def _pdf_pages(page: Path, workdir: Path) -> int:
    pdf = workdir / f"{page.stem}.pdf"
    run = chromium(workdir, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf.is_file(), run.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def test_printing_unfolds_the_passed_checks(tmp_path: Path) -> None:
    checks = [CheckResult(f"test_{tag}.py::test_case_{i}", 1, 1, tags=[tag], title=f"{tag}: case {i} behaves")
              for tag in ("linear", "relu", "softmax") for i in range(40)]
    html = render(GradingResult("alice", checks), "html")
    assert PRINT_UNFOLD in html
    printed, folded = tmp_path / "printed.html", tmp_path / "folded.html"
    printed.write_text(html, encoding="utf-8")
    folded.write_text(html.replace(PRINT_UNFOLD, ""), encoding="utf-8")
    # Folded, the three component lines fit on one page; unfolded, 120 checks need more.
    assert _pdf_pages(folded, tmp_path) == 1
    assert _pdf_pages(printed, tmp_path) >= 3


def _big_array_report() -> GradingResult:
    """A (16, 64) dx that differs from the reference: its evidence is the summary, not a dump."""
    from grader.checks.diagnose import mismatch

    rng = np.random.default_rng(0)
    got = rng.normal(size=(16, 64))
    want = got.copy()
    want[:, :40] += rng.normal(size=(16, 40))
    found = mismatch("wrong-gradient", "MLP.backward's dx differs from the reference", actual=got, expected=want)
    check = CheckResult("test_mlp.py::test_backward_square_hidden[relu]", 1, 0, status="failed", tags=["mlp"],
                        number="81", title="MLP with ReLU: backward with a square (64, 64) layer",
                        diagnoses=found.diagnoses, message=found.message)
    return GradingResult("big", [check])


def test_a_big_array_difference_fits_a_phone_without_a_scroll_box(tmp_path: Path) -> None:
    html = render(_big_array_report(), "html")
    evidence = html[html.index("What went wrong"):]
    evidence = evidence[:evidence.index("</pre>")]
    assert "<pre>" in evidence and "... and 635 more of the 16x64 entries" in evidence  # a plain pre: no max-height
    page = tmp_path / "big.html"
    page.write_text(html, encoding="utf-8")
    pixels = screenshot(page, tmp_path / "big.png", PHONE, 1400)
    assert np.mean(np.any(pixels < 0.9, axis=-1)) > 0.02
    assert _overflow_columns(pixels) == 0
