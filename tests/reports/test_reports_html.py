"""Self-contained HTML: escaped, no external resources, inline PNG plots."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from matplotlib import image as mpl_image
from reports_fixtures import all_passed, grader_error, mixed

from grader.reports import plots, render
from grader.results import CheckResult, Diagnosis, GradingResult

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
    assert "94.7%" not in before_due and "reference (orange band)" not in before_due
    # The student is told what is missing, until when, and how staff see it.
    note = re.search(r'<p class="note withheld">(.*?)</p>', before_due).group(1)
    assert "the reference&#x27;s learning curve, the confusion matrix and the test accuracy" in note
    assert "(shown after the due date)" in note and "--show-hidden" in note
    after_due = render(result, "html", after_due_date=True)
    assert re.findall(r'<img alt="([^"]+)"', after_due) == ["learning curve", "confusion matrix"]
    assert "withheld" not in after_due and "94.7%" in after_due


def test_withheld_note_says_hidden_when_training_is_never_shown() -> None:
    result = all_passed()
    result.checks[-1].visibility = "hidden"
    assert "(hidden)" in re.search(r'<p class="note withheld">(.*?)</p>', render(result, "html")).group(1)


def test_everything_escaped_and_nothing_external() -> None:
    html = render(mixed(), "html", show_hidden=True)
    assert "<script" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "bob/&lt;b&gt;mlp&lt;/b&gt;.py" in html
    assert "default-src 'none'" in html
    # Every src/href is inline data: nothing fetched from anywhere.
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith(("data:", "#problem-")), url
        # A link to a check lands on it.
        assert not url.startswith("#") or f'id="{url[1:]}"' in html, url
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)


def test_failed_checks_with_diagnoses() -> None:
    html = render(mixed(), "html")
    assert html.count('<section class="check check-') == 4
    card = html[html.index('<section class="check'):]
    card = card[:card.index("</section>")]
    assert '<span class="badge failed">Problem 1</span> <code>bias-gradient-not-summed</code> <span' in card
    # The other diagnosis is evidence; the all-advice hint is the fix, said once.
    assert "gradient-scale: Your dW is N times too large: divide by the batch size once." in card
    assert "<p>Sum the bias gradient over the batch axis: <code>db = dout.sum(axis=0)</code>.</p></div>" in card
    assert card.count("Sum the bias gradient") == 1
    assert "Smallest failing input found:" in html
    assert "SECRET" not in html


def _positions(html: str, *needles: str) -> list[int]:
    return [html.index(n) for n in needles]


def test_score_and_likely_problems_come_before_failing_checks_then_passed_ones() -> None:
    html = render(mixed(), "html")
    score, top, failing, passed, training = _positions(
        html, '<p class="score">', "<h2>Most likely problems</h2>", '<section class="check',
        '<details class="component">', "<h2>Training</h2>")
    assert score < top < failing < passed < training
    # No passed check is explained as a card, and no failing one sits in a fold.
    cards = html[failing:passed]
    assert "Cross-entropy mean over the batch" not in cards
    assert "Linear backward matches numerical gradient" not in html[passed:]


def test_passed_checks_fold_into_one_line_per_component_with_its_points() -> None:
    html = render(all_passed(), "html")
    folds = re.findall(r'<details class="component"><summary>(.*?)</summary>', html)
    assert len(folds) == 7  # api, linear, relu, softmax, cross-entropy, sgd, training
    assert folds[1] == ('<strong>linear</strong> <span class="pts">8.00 / 8.00 points</span> '
                        '<span class="facts">· 2 of 2 checks passed</span>')
    assert "Every check shown passed." in html and "<h2>Checks that did not pass" not in html


def test_a_component_with_nothing_passed_still_has_its_line() -> None:
    html = render(mixed(), "html")
    softmax = re.search(r'<details class="component"><summary><strong>softmax</strong>(.*?)</details>', html,
                        re.S).group(1)
    assert "0.00 / 2.00 points" in softmax and "0 of 1 check passed" in softmax
    assert "1 check of this component did not pass: see above." in softmax


def test_the_human_title_is_shown_and_the_pytest_id_kept_small() -> None:
    result = mixed()
    result.checks[1].title = "Linear: backward matches numerical gradients"
    result.checks[0].title = "API: the network exposes its parts"
    html = render(result, "html")
    card = html[html.index('<section class="check'):]
    assert card.startswith('<section class="check check-failed" id="problem-1">\n<h3><span class="badge failed">'
                           "Problem 1</span> <code>bias-gradient-not-summed</code>")
    assert '<li id="check-2"><span class="failed">FAIL</span> Linear: backward matches numerical gradients ' in card
    assert '<code title="pytest id (rubric key)">Linear backward matches numerical gradient</code>' in card
    fold = html[html.index('<details class="component">'):]
    assert "API: the network exposes its parts" in fold
    assert '<code class="id" title="pytest id (rubric key)">Network exposes forward' in fold


def test_checks_that_failed_the_same_way_share_one_card_naming_each() -> None:
    result = mixed()
    crash = dict(status="failed", tags=["training"], message="network.train() raised ValueError: bad shape",
                 diagnoses=[Diagnosis("crash", "network.train() raised ValueError: bad shape")])
    result.checks += [CheckResult(f"test_training.py::test_{n}", 1, 0, number=f"7.{i}", **crash)
                      for i, n in enumerate(["loss_decreases", "epochs_argument", "reshuffles"], start=2)]
    html = render(result, "html")
    start = html.index('<code>crash</code>: network.train()')
    card = html[html.rindex("<section", 0, start):]
    card = card[:card.index("</section>")]
    assert "The checks it failed (3)" in card and "0 / 3" in card
    assert [f'id="check-{i}"' in card for i in (10, 11, 12)] == [True] * 3
    assert card.count("raised ValueError: bad shape") == 1  # the hint equals the message: said once
    assert "How to fix it:" in card and "Make the call that failed yourself" in card
    # Only training checks crash while a named bug sits in Linear: the crash is told as its
    # probable consequence, and ranked after it.
    assert "Probably caused by problem 1 (bias-gradient-not-summed)" in card
    top = html[html.index("<h2>Most likely problems</h2>"):html.index("</ol>")]
    assert top.index("bias-gradient-not-summed") < top.index("softmax-overflow")
    assert "<code>crash</code>" not in top


def test_score_meter_and_phone_and_print_rules() -> None:
    html = render(mixed(), "html", show_hidden=True)
    assert re.search(r'<div class="meter" role="img" aria-label="(\d+)%"><span style="width:[\d.]+%">', html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html and "details::details-content" in html
    assert '<div class="scroll"><table class="per-class">' in html


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
    assert "Score: 0.00 / 0.00" in html


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


def test_curves_coincide_only_when_every_epoch_agrees() -> None:
    same = {"student": [2.0, 1.0, 0.5], "reference": [2.0, 1.0000001, 0.5]}
    assert plots.curves_coincide(same)
    assert not plots.curves_coincide({"student": [2.0, 1.0, 0.5], "reference": [2.0, 0.9, 0.5]})
    assert not plots.curves_coincide({"student": [2.0, 1.0], "reference": [2.0, 1.0, 0.5]})
    assert not plots.curves_coincide({"student": [2.0, 1.0]})


def _colour_pixels(png: bytes, colour: tuple[int, int, int], tol: float = 0.06) -> int:
    pixels = mpl_image.imread(io.BytesIO(png), format="png")[..., :3]
    return int(np.all(np.abs(pixels - np.array(colour) / 255) < tol, axis=-1).sum())


def test_the_reference_stays_visible_under_a_coinciding_student_curve() -> None:
    curve = {"student": [2.3, 1.2, 0.7, 0.5, 0.4], "reference": [2.3, 1.2, 0.7, 0.5, 0.4]}
    band = (round(0.55 * 0xF4 + 0.45 * 255), round(0.55 * 0xA2 + 0.45 * 255), round(0.55 * 0x59 + 0.45 * 255))
    both = plots.learning_curve_png(curve)
    alone = plots.learning_curve_png({"student": curve["student"]})
    # The pale band shows around the student's line (and in the legend) only when there is a reference.
    assert _colour_pixels(both, band) > 1000 and _colour_pixels(alone, band) == 0
    assert _colour_pixels(both, (0x1F, 0x77, 0xB4)) > 300  # the student's line is drawn on top
    assert both != plots.learning_curve_png({"student": curve["student"], "reference": [2.3, 1.1, 0.6, 0.45, 0.35]})
