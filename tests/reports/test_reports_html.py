"""Self-contained HTML: escaped, no external resources, inline PNG plots."""

from __future__ import annotations

import base64
import re

import pytest
from reports_fixtures import all_passed, grader_error, mixed

from grader.reports import plots, render
from grader.results import GradingResult

IMG = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


def _images(html: str) -> dict[str, bytes]:
    return {alt: base64.b64decode(data, validate=True) for alt, data in IMG.findall(html)}


def test_plots_present_and_decode_as_png() -> None:
    images = _images(render(all_passed(), "html"))
    assert set(images) == {"learning curve", "confusion matrix"}
    for png in images.values():
        assert png.startswith(plots.PNG_MAGIC)
        assert b"Software" not in png  # no matplotlib version: stable bytes
        assert len(png) > 5000  # an actual picture, not an empty canvas


def test_mixed_has_histogram_and_survives_a_null_loss() -> None:
    images = _images(render(mixed(), "html"))
    assert set(images) == {"learning curve", "confusion matrix", "class histogram"}


def test_no_artifacts_no_images() -> None:
    html = render(grader_error(), "html")
    assert "<img" not in html and "<h2>Training</h2>" not in html


def test_bad_artifacts_cost_one_picture_not_the_report() -> None:
    result = all_passed()
    result.artifacts["confusion_matrix"] = [[1, 2], [3]]
    result.artifacts["learning_curve"] = {"student": ["a"]}
    html = render(result, "html")
    assert "Confusion matrix: rows are true classes, columns predicted classes: not available" in html
    assert "must be square" in html
    assert "<img" not in html


def test_only_the_students_own_curve_while_a_training_check_is_withheld() -> None:
    result = all_passed()
    result.checks[-1].visibility = "after_due_date"
    before_due = render(result, "html")
    assert re.findall(r'<img alt="([^"]+)"', before_due) == ["learning curve"]
    assert "test accuracy" not in before_due
    after_due = render(result, "html", after_due_date=True)
    assert re.findall(r'<img alt="([^"]+)"', after_due) == ["learning curve", "confusion matrix"]


def test_everything_escaped_and_nothing_external() -> None:
    html = render(mixed(), "html", show_hidden=True)
    assert "<script" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "bob/&lt;b&gt;mlp&lt;/b&gt;.py" in html
    assert "default-src 'none'" in html
    # Every src/href is inline data: nothing fetched from anywhere.
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith("data:"), url
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)


def test_failed_checks_with_diagnoses() -> None:
    html = render(mixed(), "html")
    assert html.count('<section class="check"') == 4
    assert "<li><code>gradient-scale</code>: Your dW is N times too large" in html
    assert "over the batch axis: <code>db = dout.sum(axis=0)</code>.</li>" in html
    assert "Smallest failing input found:" in html
    assert "SECRET" not in html


def test_plots_are_deterministic() -> None:
    curve = {"student": [2.0, 1.0, 0.5], "reference": [2.0, 0.9, 0.4]}
    assert plots.learning_curve_png(curve) == plots.learning_curve_png(curve)


@pytest.mark.parametrize("bad", [None, {}, {"student": []}, {"student": [1, True]}, [1, 2]])
def test_learning_curve_rejects_bad_input(bad) -> None:
    with pytest.raises(ValueError):
        plots.learning_curve_png(bad)


def test_diverged_curve_is_called_out() -> None:
    # inf must not flatten the plot or crash autoscaling.
    png = plots.learning_curve_png({"student": [2.0, 5.0, float("inf"), float("nan")]})
    assert png.startswith(plots.PNG_MAGIC)


def test_empty_result_renders() -> None:
    html = render(GradingResult("empty.py"), "html")
    assert "Score: 0 / 0" in html


def test_per_digit_recall_row_names_the_digits_never_right() -> None:
    html = render(mixed(), "html")
    table = html[html.index('<table class="per-class">'):]
    table = table[:table.index("</table>")]
    recall_row = re.search(r"<tr><th>Recall</th>(.*?)</tr>", table).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', recall_row) == ["10%", "100%"] + ["10%"] * 8


def test_per_digit_table_is_withheld_with_the_training_checks() -> None:
    result = mixed()
    assert 'class="per-class"' in render(result, "html", show_hidden=True)
    for check in result.checks:
        if "training" in check.tags:
            check.visibility = "after_due_date"
    assert 'class="per-class"' not in render(result, "html")


def test_malformed_per_digit_artifacts_are_left_out() -> None:
    result = mixed()
    result.artifacts["per_class_recall"] = [0.5, "x"]
    result.artifacts["per_class_precision"] = [2.0] * 10
    assert 'class="per-class"' not in render(result, "html")
