"""The terminal report as a person reads it: what comes last, what is said once, what fits.

Widths are the ones terminals actually have (80 and 100 columns); "fits" means
no line is longer than the width and no word was cut in two to make it fit
(the same words as a render wide enough never to wrap).
The end-to-end version, through a real terminal, is tests/cli/test_cli_terminal.py.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from reports_fixtures import RESULTS, mixed

from grader.reports.text import render, summary_line
from grader.results import CheckResult, Diagnosis, GradingResult

WIDTHS = (80, 100)
NEVER_WRAPS = 10_000

DB_HINT = ("Linear's db has shape (64, 10): it keeps the batch axis; sum grad_out over the batch: "
           "grad_out.sum(axis=0), shape (10,)")
SGD_HINT = ("SGD.step never updates layer 0's b, layer 1's b, layer 2's b: loop over every layer and "
            "update both W and b (W -= lr * dW; b -= lr * db)")
SOFTMAX_HINT = "softmax gives inf/NaN for large logits: subtract each row's max before np.exp"


def three_bugs() -> GradingResult:
    """A report shaped like a real 3-bug submission: many checks, long titles, hints repeated as messages."""
    checks = [CheckResult(f"test_api.py::test_class_exists[{i}]", 0.5, 0.5, tags=["api"], number=str(i),
                          title=f"API: the submission defines class number {i} with its constructor")
              for i in range(1, 11)]
    checks += [
        CheckResult("test_linear.py::test_backward", 2, 0, status="failed", tags=["linear"], number="11",
                    title="Linear: backward returns gradients of the documented shapes for every batch size",
                    diagnoses=[Diagnosis("bias-gradient-not-summed", DB_HINT)], message=DB_HINT),
        CheckResult("test_linear.py::test_gradient_numerical", 2, 0, status="failed", tags=["linear"],
                    number="12", title="Linear: backward matches numerical gradients",
                    diagnoses=[Diagnosis("bias-gradient-not-summed", DB_HINT)], message=DB_HINT),
        CheckResult("test_linear.py::test_forward", 2, 2, tags=["linear"], number="13",
                    title="Linear: forward computes x @ W + b"),
        CheckResult("test_losses.py::test_softmax_large_logits", 2, 0, status="failed", tags=["softmax"],
                    number="14", title="Softmax: large logits give finite probabilities",
                    diagnoses=[Diagnosis("softmax-overflow", SOFTMAX_HINT)],
                    message="RuntimeWarning: overflow encountered in exp (logits up to 1e4)",
                    example="logits = np.array([[1000.0, 0.0, -1000.0]])"),
    ]
    checks += [CheckResult(f"test_sgd.py::test_step[{lr}]", 1.5, 0, status="failed", tags=["sgd"],
                           number=str(15 + i), title=f"SGD: one step moves every parameter by -lr * grad (lr {lr})",
                           diagnoses=[Diagnosis("optimizer-skips-parameters", SGD_HINT)],
                           message=f"{SGD_HINT} (lr = {lr})")
               for i, lr in enumerate((0.1, 0.37, 0.05))]
    checks += [CheckResult(f"test_mlp.py::test_predict[{a}]", 1, 1, tags=["mlp"], number=str(18 + i),
                           title=f"MLP: predict returns one class per row ({a})")
               for i, a in enumerate(("relu", "sigmoid", "tanh"))]
    checks.append(CheckResult("test_performance.py::test_time_budget", 3, 3, tags=["performance"],
                              number="21", visibility="after_due_date", title="Performance: within the time budget"))
    return GradingResult(submission="students/dana", checks=checks, execution_time_s=18.1,
                         rubric="rubrics/default.toml", seed=20240901)


CASES = {**RESULTS, "three_bugs": three_bugs}


def words(text: str) -> Counter[str]:
    # A multiset: a wrapped title puts its score beside the first line, so only the order changes.
    return Counter(text.split())


@pytest.mark.parametrize("verbose", [False, True], ids=["folded", "verbose"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_fits_the_width_without_breaking_a_word(name: str, width: int, verbose: bool) -> None:
    result = CASES[name]()
    out = render(result, width=width, verbose=verbose)
    too_long = [line for line in out.splitlines() if len(line) > width]
    assert not too_long, f"{len(too_long)} lines longer than {width}: {too_long[:2]}"
    # A word cut at the margin shows up as two words that the unwrapped render does not have.
    assert words(out) == words(render(result, width=NEVER_WRAPS, verbose=verbose))


def test_failing_checks_first_then_components_then_the_summary_last() -> None:
    lines = render(three_bugs(), width=80).splitlines()
    first_failure = next(i for i, line in enumerate(lines) if line.startswith("Problem 1 "))
    components = lines.index("Score by component")
    problems = lines.index("Most likely problems:")
    score = next(i for i, line in enumerate(lines) if line.startswith("Score on the"))
    assert first_failure < components < problems < score
    assert not any(line.lstrip().startswith("[FAIL]") for line in lines[components:])
    # The summary fits on the last screen of a 24-line terminal.
    assert len(lines) - components <= 24


def test_each_cause_told_once() -> None:
    out = render(three_bugs(), width=100)
    # The headline heads the card and its line in "Most likely problems"; the fix is said once.
    assert out.count("Linear's db has shape (64, 10)") == 2
    assert out.count("grad_out.sum(axis=0)") == 1
    assert out.count("SGD.step never updates") == 2
    assert out.count("update both W and b") == 1
    # What a check's message adds to the hint stays, as its evidence.
    assert re.search(r"What went wrong \(in 15 SGD: .*\):\n +\(lr = 0\.1\)", out)
    assert re.search(r"softmax-overflow: softmax gives inf/NaN.*\n(.*\n)*?  What went wrong:\n +RuntimeWarning", out)


def test_checks_with_one_cause_share_one_card_listing_each() -> None:
    out = render(three_bugs(), width=100)
    assert re.search(r"^Problem 2 bias-gradient-not-summed: Linear's db has shape \(64, 10\): it keeps the batch +"
                     r"0\.00 / 4\.00\n +axis\n"
                     r"  The checks it failed \(2\):\n    \[FAIL\] 11 Linear: backward returns", out, re.M)
    assert re.search(r"^    \[FAIL\] 12 Linear: backward matches numerical gradients +0\.00 / 2\.00$", out, re.M)
    # The SGD checks differ only in their lr: one cause, one card.
    assert out.count("optimizer-skips-parameters") == 2 and "Same problem as" not in out


def test_passing_checks_fold_into_their_component_unless_verbose() -> None:
    folded = render(three_bugs(), width=100)
    verbose = render(three_bugs(), width=100, verbose=True)
    assert "MLP: predict returns one class per row" not in folded
    assert re.search(r"^  mlp +3\.00 / 3\.00  3 checks, all passed$", folded, re.M)
    assert re.search(r"^  linear +2\.00 / 6\.00  2 of 3 checks not passed$", folded, re.M)
    for tail in ("(relu)", "(sigmoid)", "(tanh)"):
        assert re.search(rf"^    \[PASS\] \d+ MLP: predict returns one class per row {re.escape(tail)} +1\.00 / 1\.00$",
                         verbose, re.M)
    assert len(verbose.splitlines()) > len(folded.splitlines()) + 10


def test_checks_are_named_by_their_title_not_their_pytest_id() -> None:
    out = render(three_bugs(), width=100, verbose=True)
    assert "Linear: backward matches numerical gradients" in out
    assert "test_linear.py" not in out and "test_api.py" not in out


def test_every_score_has_two_decimals() -> None:
    for name, make in CASES.items():
        out = render(make(), width=100, verbose=True)
        amounts = re.findall(r"(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)", out)
        assert amounts, name
        assert all(re.fullmatch(r"\d+\.\d\d", a) for pair in amounts for a in pair), (name, amounts)
        assert re.search(r"worth \d+\.\d\d points", out) or "worth" not in out


def test_withheld_checks_are_explained_in_words_in_the_report_and_the_summary_line() -> None:
    result = mixed()
    out = render(result, width=100)
    assert re.search(r"^Score on the 6 checks shown: 6\.50 / 23\.00 \(28\.3%\)$", out, re.M)
    assert "3 more checks (worth 4.00 points) are not shown here" in out
    line = summary_line(result)
    # The report's own figure; the withheld checks' outcome never reaches it (issue 22).
    assert line == "score on the 6 checks shown 6.50 / 23.00 (28.3%); 3 more checks are withheld"
    staff = summary_line(result, show_hidden=True)
    assert staff == "score 9.50 / 27.00 (35.2%)"
    assert re.search(r"^Score: 9\.50 / 27\.00 \(35\.2%\)$", render(result, width=100, show_hidden=True), re.M)


def test_grader_error_says_so_where_the_score_is() -> None:
    lines = render(RESULTS["grader_error"](), width=80).splitlines()
    assert lines[-1] == "Score: 0.00 / 5.00 (the grader itself failed)"
    assert any("The grader itself failed" in line for line in lines[-8:])
