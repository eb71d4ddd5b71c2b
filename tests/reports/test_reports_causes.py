"""Said once, causes first: every report tells one card per root cause, ranked before what it
causes, with its evidence once and its fix once (grader/causes/, the writers' cards)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from grader.causes import fix, group_causes, headline, normalised, root_cause_ids
from grader.classstats import class_figures
from grader.records import GRADED, SubmissionRecord
from grader.reports import render
from grader.reports.build import build_view
from grader.results import CheckResult, Diagnosis, Frame, GradingResult

RELU = ("ReLU.backward gates on (grad_out > 0); it must gate on the forward input: pass grad_out "
        "where x > 0 and 0 elsewhere")
RELU_FIX = "Pass grad_out where x > 0 and 0 elsewhere"
NO_LEARNING = ("train() cannot even fit 50 samples: after 30 epochs it gets 10% of them right. "
               "Replayed layer by layer at the training sizes: ReLU 1 of 1: " + RELU + ".")
DX = "MLP.backward's dx differs from the reference"


def _failed(number: str, tag: str, *diagnoses: Diagnosis, message: str = "", title: str = "") -> CheckResult:
    return CheckResult(f"test_{tag}.py::test_{number}", 1.0, 0.0, status="failed", tags=[tag], number=number,
                       title=title or f"{tag}: check {number}", diagnoses=list(diagnoses),
                       message=message or diagnoses[0].hint)


def relu_bug() -> GradingResult:
    """A ReLU gated on the gradient, as grading one shows it: four ReLU checks, two MLP checks
    that also name wrong-gradient, two training checks whose hint quotes the replayed ReLU."""
    checks = [_failed(str(n), "relu", Diagnosis("relu-mask", RELU),
                      message=f"{RELU}\n  got:      [[0.]]\n  expected: [[-0.0506]]") for n in (7, 10, 16, 19)]
    checks += [_failed(str(n), "mlp", Diagnosis("relu-mask", "ReLU 2 of 2: " + RELU), Diagnosis("wrong-gradient", DX),
                       message=f"ReLU 2 of 2: {RELU}\n{DX}\n  got:      [[0.0296]]\n  expected: [[0.]]")
               for n in (63, 66)]
    checks += [_failed("92", "training", Diagnosis("no-learning", NO_LEARNING),
                       message="50 training samples, 30 epochs: train accuracy 10% (reference 100%)"),
               _failed("100", "training", Diagnosis("single-class-collapse",
                                                    "after training, 100% of the test predictions are class 5. "
                                                    "Replayed layer by layer at the training sizes: ReLU 1 of 1: "
                                                    + RELU + "."))]
    checks.append(CheckResult("test_api.py::test_ok", 1.0, 1.0, tags=["api"], number="1", title="api: ok"))
    return GradingResult(submission="relu", checks=checks, seed=1)


def db_bug_and_crash() -> GradingResult:
    """A Linear db that keeps the batch axis (said in two wordings) and train() crashing in nine
    training checks: more checks crash than show the bug."""
    checks = [_failed("37", "linear", Diagnosis("bias-gradient-not-summed",
                                                "Linear 1 of 3's db has shape (1, 2): it keeps the batch axis; "
                                                "sum grad_out over the batch: grad_out.sum(axis=0)")),
              _failed("81", "mlp", Diagnosis("bias-gradient-not-summed",
                                             "Linear 1's db has shape (16, 64): it keeps the batch axis; "
                                             "sum grad_out over the batch: grad_out.sum(axis=0)"))]
    crash = "network.train() raised ValueError: non-broadcastable output operand with shape (64,) ."
    checks += [_failed(str(n), "training", Diagnosis("crash", crash)) for n in range(92, 101)]
    return GradingResult(submission="db", checks=checks, seed=1)


def test_hints_that_differ_only_in_place_and_numbers_are_one_cause() -> None:
    assert normalised("Linear 1 of 3's db has shape (1, 2)") == normalised("Linear 1's db has shape (16, 64)")
    assert normalised("ReLU 2 of 2: " + RELU) == normalised(RELU)
    assert normalised("Linear's db has shape (1, 2)") != normalised("Linear's dW has shape (1, 2)")
    causes = group_causes(db_bug_and_crash().checks)
    assert [(c.id, [x.number for x in c.checks]) for c in causes] == [
        ("bias-gradient-not-summed", ["37", "81"]), ("crash", [str(n) for n in range(92, 101)])]


def test_a_hint_splits_into_what_is_wrong_and_what_to_do() -> None:
    assert headline(RELU, "relu-mask") == "ReLU.backward gates on (grad_out > 0); it must gate on the forward input"
    assert fix(RELU, "relu-mask") == RELU_FIX
    # An observation before the advice joins the headline: the fix starts with what to do.
    db = ("Linear 3 of 3, (1, 2) weights: Linear's db has shape (1, 2): it keeps the batch axis; "
          "sum grad_out over the batch: grad_out.sum(axis=0)")
    assert headline(db) == "Linear's db has shape (1, 2): it keeps the batch axis"
    assert fix(db) == "Sum grad_out over the batch: grad_out.sum(axis=0)"
    # A crash's hint is the error: its message is not advice, and NumPy's " ." goes.
    crash = "SGD.step() raised ValueError: operands could not be broadcast together with shapes (64,784) (784,64) ."
    assert headline(crash, "crash").endswith("(784,64)") and fix(crash, "crash") == ""
    # A quoted line after the break is where the bug is, not a fix.
    mutation = "relu_forward changes its input x in place at cs231n/layers.py line 12: `x[x < 0] = 0`"
    assert headline(mutation, "input-mutation") == mutation and fix(mutation, "input-mutation") == ""
    # A hint that is all advice has no observation to head with; all of it is the fix.
    assert headline("Sum the bias gradient over the batch axis: db = g.sum(0)") == ""
    assert fix("Sum the bias gradient over the batch axis: db = g.sum(0)").startswith("Sum the bias")


def test_the_root_cause_comes_first_and_lists_what_it_causes() -> None:
    causes = group_causes(relu_bug().checks)
    assert len(causes) == 1
    root = causes[0]
    assert root.id == "relu-mask" and [c.number for c in root.checks] == ["7", "10", "16", "19", "63", "66"]
    assert [(s.id, s.probable) for s in root.symptoms] == [("no-learning", False), ("single-class-collapse", False)]
    assert root_cause_ids(relu_bug().checks) == ["relu-mask"]
    assert relu_bug().top_diagnoses() == ["relu-mask"]


def test_a_crash_never_outranks_the_bug_even_when_it_fails_more_checks() -> None:
    view = build_view(db_bug_and_crash())
    first, crash = view.causes
    assert (first.id, crash.id) == ("bias-gradient-not-summed", "crash")
    assert crash.caused_by == (1, "bias-gradient-not-summed")
    assert [c.id for c in view.top_causes] == ["bias-gradient-not-summed"]
    out = render(db_bug_and_crash(), "text")
    problems = out[out.index("Most likely problems:"):]
    assert "crash" not in problems.split("\n")[1].split("(")[0]
    assert "Probably caused by problem 1 (bias-gradient-not-summed)" in " ".join(out.split())


def test_a_hint_that_only_restates_gets_a_real_fix() -> None:
    result = GradingResult("w", [_failed("5", "mlp", Diagnosis("wrong-gradient", DX),
                                         message=f"{DX}\n  got:      [[0.1]]\n  expected: [[0.2]]")])
    card = build_view(result).causes[0]
    assert card.headline == DX and DX not in card.fix and card.fix.startswith("Work the smallest failing input")
    assert card.evidence == "got:      [[0.1]]\nexpected: [[0.2]]"


def _count(text: str, needle: str) -> int:
    return " ".join(text.split()).count(needle)


def test_every_format_tells_the_fix_once_and_the_symptoms_under_the_cause() -> None:
    result = relu_bug()
    for fmt in ("text", "markdown", "html"):
        out = render(result, fmt)
        assert _count(out, RELU_FIX) + _count(out, RELU_FIX.replace(">", "&gt;")) == 1, fmt
        assert _count(out, "ReLU.backward gates on (grad_out") <= 2 or fmt == "html", fmt  # title + summary line
        assert "no-learning in check 92" in out and "single-class-collapse in check 100" in out, fmt
    html = render(result, "html")
    assert _count(html, "ReLU.backward gates on (grad_out &gt; 0)") == 2
    assert html.count('<section class="check') == 1
    # The relu card's evidence is the values, not the hint again; the MLP's own finding is kept.
    md = render(result, "markdown")
    assert "got:      [[0.]]" in md and "Same problem as" not in md


def test_gradescope_tells_the_card_under_the_first_test_and_points_there_from_the_others() -> None:
    obj = json.loads(render(relu_bug(), "json"))
    outputs = {t["number"]: t["output"].replace("&gt;", ">") for t in obj["tests"]}
    assert _count(outputs["7"], RELU_FIX) == 1
    for n in ("10", "16", "19", "63", "66"):
        assert outputs[n].startswith("Same cause as test 7 (relu: check 7)") and RELU_FIX not in outputs[n]
    assert outputs["92"].startswith("**`no-learning`**") and "This follows from **`relu-mask`**" in outputs["92"]
    assert _count("\n".join(outputs.values()) + obj["output"], RELU_FIX) == 1
    assert re.search(r"- \*\*`relu-mask`\*\* \(test 7, 6 checks and 2 it causes\): .*and therefore: no-learning, "
                     r"single-class-collapse", obj["output"])
    assert obj["extra_data"]["top_diagnoses"] == ["relu-mask"]


def test_junit_tells_the_card_once_and_names_the_cause_in_each_message() -> None:
    suite = ET.fromstring(render(relu_bug(), "junit")).find("testsuite")
    failures = {c.find("properties").find("property[@name='number']").get("value"): c.find("failure")
                for c in suite.findall("testcase") if c.find("failure") is not None}
    assert all(f.get("message").startswith(("relu-mask: ", "no-learning: ", "single-class-collapse: "))
               for f in failures.values())
    assert sum(_count(f.text, RELU_FIX) for f in failures.values()) == 1
    assert failures["92"].get("type") == "no-learning" and "follows from [relu-mask]" in failures["92"].text


def test_the_class_report_counts_submissions_by_root_cause() -> None:
    records = [SubmissionRecord(name, GRADED, result=make()) for name, make in
               (("a", relu_bug), ("b", relu_bug), ("c", db_bug_and_crash))]
    figures = class_figures(records)
    counted = {d.id: d.submissions for d in figures.diagnoses}
    assert counted == {"relu-mask": 2, "bias-gradient-not-summed": 1}
    relu = next(d for d in figures.diagnoses if d.id == "relu-mask")
    assert relu.symptoms == ["no-learning", "single-class-collapse"]
    assert [s["diagnoses"] for s in figures.submissions] == [["relu-mask"], ["relu-mask"],
                                                             ["bias-gradient-not-summed"]]


def test_a_repeat_check_failing_on_values_does_not_read_as_nondeterminism() -> None:
    result = relu_bug()
    result.checks[2].title = "ReLU: repeated calls give the same results"
    out = " ".join(render(result, "text").split())
    assert ("Check 16 compares repeated calls but failed on the values themselves (relu-mask), not because "
            "the results changed between calls.") in out
    # A real repeat bug says nothing of the kind.
    stale = GradingResult("s", [_failed("40", "linear", Diagnosis("stale-gradient", "dW accumulates across calls"),
                                        title="Linear: a second backward overwrites, never adds; repeated")])
    assert "failed on the values themselves" not in render(stale, "text")


def test_a_long_list_of_checks_folds_so_the_fix_stays_near_the_title() -> None:
    html = render(relu_bug(), "html")
    card = html[html.index('<section class="check'):html.index("</section>")]
    shown, folded = card.split('<details class="more"><summary>and 3 more checks</summary>')
    assert shown.count("<li id=") == 3 and folded.count("<li id=") == 3
    assert "details::details-content { content-visibility: visible" in html  # printing unfolds it
    assert "; probably also:" not in html and "; and therefore: no-learning, single-class-collapse" in html


def test_an_example_never_shows_an_object_address() -> None:
    result = relu_bug()
    result.checks[0].example = ("Falsifying example: test_backward(\n    mytorch=<grader.profiles.mytorch_hw1p1."
                                "adapters.MyTorch object at 0x7fb4c4c65210>,\n)")
    out = render(result, "text")
    # The grader's own fixture is not input the student can use: its line goes, address and all.
    assert "0x7fb4c4c65210" not in out and "adapters.MyTorch" not in out
    assert "Falsifying example: test_backward(" in out


def test_a_big_array_difference_reads_at_80_columns() -> None:
    import numpy as np

    from grader.checks.diagnose import mismatch

    got = np.arange(16 * 64, dtype=float).reshape(16, 64)
    want = got + np.where(np.arange(64) < 40, 1.0, 0.0)
    found = mismatch("wrong-gradient", DX, actual=got, expected=want)
    result = GradingResult("big", [_failed("81", "mlp", *found.diagnoses, message=found.message)])
    out = render(result, "text").replace("\r", "")
    from grader.reports.text import render as text_render

    narrow = text_render(result, width=80)
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "[[" not in narrow and "640 of 1,024 entries differ, in every row and columns 0-39" in narrow
    assert "[0, 0]  got 0  expected 1" in out


def test_a_symptom_is_headed_by_its_measurement_and_fixed_by_its_advice() -> None:
    assert headline(NO_LEARNING, "no-learning") == \
        "train() cannot even fit 50 samples: after 30 epochs it gets 10% of them right"
    assert fix(NO_LEARNING, "no-learning").startswith("Replayed layer by layer")


def test_unexplained_differences_of_one_function_are_one_cause() -> None:
    checks = [_failed("49", "cross-entropy", Diagnosis("wrong-gradient",
                                                       "SoftmaxCrossEntropy.backward differs from the reference")),
              _failed("50", "cross-entropy", Diagnosis("wrong-gradient", "SoftmaxCrossEntropy.backward differs "
                                                       "from the numerical gradient of your own forward")),
              _failed("48", "cross-entropy", Diagnosis("wrong-forward", "SoftmaxCrossEntropy.forward differs"))]
    causes = group_causes(checks)
    assert [(c.id, [x.number for x in c.checks]) for c in causes] == [("wrong-gradient", ["49", "50"]),
                                                                     ("wrong-forward", ["48"])]


def _blamed(number: str, hint: str, frames: list[Frame] | None = None) -> CheckResult:
    """A training check whose shape error was blamed on the array that produced it."""
    check = _failed(number, "training", Diagnosis("shape-mismatch", hint),
                    message=hint + " Fix it; the error came later, where the gradient was used: network.train() "
                    "raised ValueError: non-broadcastable output operand")
    check.frames = frames or []
    return check


DB_NOT_SUMMED = ("Linear's db has shape (1, 2): it keeps the batch axis; sum grad_out over the batch: "
                 "grad_out.sum(axis=0), shape (2,)")
BLAMED_DB = "Linear 1 of 2's db has shape (2, 64); the contract is (64,), the shape of b"
OPTIM_FRAMES = [Frame("network.py", 82, "train", "optimizer.step()"),
                Frame("optim.py", 22, "step", "layer.b -= self.lr * layer.db")]


def test_a_shape_error_blamed_on_the_array_a_component_bug_names_is_told_under_that_bug() -> None:
    checks = [_failed("37", "linear", Diagnosis("bias-gradient-not-summed", DB_NOT_SUMMED)),
              _blamed("92", BLAMED_DB, OPTIM_FRAMES), _blamed("93", BLAMED_DB, OPTIM_FRAMES)]
    causes = group_causes(checks)
    assert [c.id for c in causes] == ["bias-gradient-not-summed"]
    assert [(s.id, s.probable, [c.number for c in s.checks]) for s in causes[0].symptoms] == \
        [("shape-mismatch", False, ["92", "93"])]
    assert root_cause_ids(checks) == ["bias-gradient-not-summed"]
    # Where the update tripped is still shown, on the one card, in every format.
    result = GradingResult("db", checks, seed=1)
    for fmt in ("text", "markdown", "html", "junit"):
        out = render(result, fmt).replace("\\", "")  # Markdown escapes brackets
        assert "layer.b -= self.lr * layer.db" in out and "Where your code tripped over it (shape-mismatch in check 92)" in out, fmt
    outputs = {t["number"]: t["output"] for t in json.loads(render(result, "json"))["tests"]}
    assert "This follows from **`bias-gradient-not-summed`**" in outputs["92"]
    assert "optim.py, line 22, in step" in outputs["92"]


def test_the_same_rule_holds_for_a_transposed_weight_gradient_and_a_model_s_grads() -> None:
    # MyTorch: Linear's own check names a transposed dLdW; SGD.step tripped on it in training.
    mytorch = [_failed("52", "linear", Diagnosis("shape-mismatch", "Linear.dLdW has shape (2, 3), the transpose "
                                                 "of the required (3, 2): swap the operands or transpose the product")),
               _blamed("79", "Linear 1 of 2's dLdW has shape (784, 64); the contract is (64, 784), the shape of W")]
    assert [(c.id, c.first.number, [s.id for s in c.symptoms]) for c in group_causes(mytorch)] == \
        [("shape-mismatch", "52", ["shape-mismatch"])]
    # CS231n: the model's own check names grads['b1']; the training loss blamed FullyConnectedNet.loss.
    b1 = "FullyConnectedNet's grads['b1'] has shape (2, 4); the contract requires (4,)"
    cs231n = [_failed("19", "fc-net", Diagnosis("shape-mismatch", b1)),
              _blamed("48", "FullyConnectedNet.loss's grads['b1'] has shape (64, 64); the contract is (64,)")]
    assert [(c.first.number, len(c.symptoms)) for c in group_causes(cs231n)] == [("19", 1)]


def test_a_blamed_shape_error_no_component_check_explains_keeps_its_card() -> None:
    other_array = [_failed("37", "linear", Diagnosis("bias-gradient-not-summed", DB_NOT_SUMMED)),
                   _blamed("92", "Linear 1 of 2's dW has shape (64, 2); the contract is (2, 64), the shape of W")]
    assert [(c.id, c.first.number) for c in group_causes(other_array)] == \
        [("bias-gradient-not-summed", "37"), ("shape-mismatch", "92")]
    alone = [_blamed("92", BLAMED_DB, OPTIM_FRAMES)]
    card = build_view(GradingResult("db", alone, seed=1)).causes[0]
    assert card.id == "shape-mismatch" and card.frames and not card.symptoms


def test_a_card_whose_message_is_its_hint_tells_the_observation_as_what_went_wrong() -> None:
    said = "affine_backward's db has shape (1, 1); the contract requires (1,)"
    card = build_view(GradingResult("s", [_failed("8", "affine", Diagnosis("shape-mismatch", said))])).causes[0]
    assert (card.headline, card.evidence) == ("affine_backward's db has shape (1, 1)", "The contract requires (1,)")
    assert card.fix.startswith("Print the shapes")  # the fix is advice, not the observation again
    blamed = ("FullyConnectedNet.loss's grads['b1'] has shape (64, 64); the contract is (64,): it keeps the "
              "batch axis. Fix FullyConnectedNet.loss (its backward pass).")
    card = build_view(GradingResult("s", [_failed("48", "training", Diagnosis("shape-mismatch", blamed))])).causes[0]
    assert card.evidence == "The contract is (64,): it keeps the batch axis"
    assert card.fix == "Fix FullyConnectedNet.loss (its backward pass)."
    # A hint whose rest is all advice keeps it as the fix.
    card = build_view(GradingResult("s", [_failed("37", "linear",
                                                  Diagnosis("bias-gradient-not-summed", DB_NOT_SUMMED))])).causes[0]
    assert card.evidence == "" and card.fix.startswith("Sum grad_out over the batch")


# -- one cause however a net or another component meets it ---------------------------------
TRANSPOSED = ("Linear.dLdW has shape (2, 3), the transpose of the required (3, 2): swap the operands "
              "or transpose the product")


def test_a_note_on_whose_defect_it_is_does_not_make_a_second_cause():
    # MyTorch's MLP checks meet Linear's transposed dLdW and say whose bug it is.
    checks = [_failed("52", "linear", Diagnosis("shape-mismatch", TRANSPOSED)),
              _failed("73", "mlp0", Diagnosis("shape-mismatch", TRANSPOSED + " (this is Linear.backward's "
                                               "defect, charged by the Linear checks; not charged again here)"))]
    causes = group_causes(checks)
    assert len(causes) == 1 and [c.number for c in causes[0].checks] == ["52", "73"]


def test_a_nets_bias_gradient_follows_from_the_layers():
    # CS231n: affine_backward keeps the batch axis in db; the nets' grads['b*'] inherit it.
    layer = "affine_backward's db has shape (1, 1); the contract requires (1,)"
    checks = [_failed("8", "affine", Diagnosis("shape-mismatch", layer)),
              _failed("16", "two-layer-net", Diagnosis(
                  "shape-mismatch", "TwoLayerNet's grads['b2'] has shape (2, 2); the contract requires (2,)")),
              _failed("22", "fc-net", Diagnosis(
                  "shape-mismatch", "FullyConnectedNet(normalization='batchnorm')'s grads['b2'] has shape "
                                    "(3, 2); the contract requires (2,)")),
              _failed("48", "training", Diagnosis(
                  "shape-mismatch", "FullyConnectedNet.loss's grads['b1'] has shape (64, 64); the contract "
                                    "is (64,), the shape of params['b1']: it keeps the batch axis"))]
    causes = group_causes(checks)
    assert len(causes) == 1 and causes[0].first.number == "8"
    assert sorted(c.number for c in causes[0].all_checks()) == ["16", "22", "48", "8"]
    assert root_cause_ids(checks) == ["shape-mismatch"]
    checks.append(_failed("49", "training", checks[-1].diagnoses[0]))
    summary = render(GradingResult(submission="s", checks=checks, rubric="default", seed=1), "text")
    assert "and therefore: shape-mismatch in two-layer-net, fc-net and training" in " ".join(summary.split())


def test_a_nets_gradient_wrong_another_way_stays_its_own_cause():
    # db keeps the batch axis, but the net's W gradient is transposed: two bugs.
    checks = [_failed("8", "affine", Diagnosis("shape-mismatch",
                                               "affine_backward's db has shape (1, 1); the contract requires (1,)")),
              _failed("16", "two-layer-net", Diagnosis(
                  "shape-mismatch", "TwoLayerNet's grads['W2'] has shape (3, 2); the contract requires (2, 3)"))]
    assert len(group_causes(checks)) == 2


def test_a_symptom_of_the_same_kind_says_where_it_shows_and_the_graders_fixture_is_not_input():
    example = ("Falsifying example: test_backward(\n    mytorch=<grader.profiles.mytorch_hw1p1.adapters.MyTorch>,\n"
               "    student=student,\n    case=LinearCase(x=array([[1.0]])),\n)")
    checks = [_failed("52", "linear", Diagnosis("shape-mismatch", TRANSPOSED)),
              _failed("79", "training", Diagnosis("shape-mismatch", "Linear 1 of 2's dLdW has shape (784, 64); "
                                                  "the contract is (64, 784). Fix Linear.backward"))]
    checks[0].example = example
    result = GradingResult(submission="s", checks=checks, rubric="default", seed=1)
    for fmt in ("text", "markdown", "html"):
        out = render(result, fmt)
        assert "and therefore: shape-mismatch in training" in out, fmt
        assert "case=LinearCase" in out and "adapters.MyTorch" not in out and "student=student" not in out, fmt


def test_a_long_run_of_symptom_checks_reads_as_a_range():
    from grader.reports.cards import _runs

    assert _runs([str(n) for n in range(48, 68)]) == ["48 to 67"]
    assert _runs(["16", "17", "19", "20", "21"]) == ["16", "17", "19 to 21"]
    assert _runs(["3a", "4"]) == ["3a", "4"]


def test_a_layers_bug_found_inside_the_network_is_the_layers_card():
    # The survey of the default catalog (relu-forward-abs: 5 cards before, 2 after).
    checks = [_failed("12", "relu", Diagnosis("wrong-forward", "ReLU.forward differs from max(x, 0)")),
              _failed("13", "relu", Diagnosis("wrong-forward", "ReLU.backward is the contract's gradient, but your "
                                              "ReLU.forward is not the function it differentiates: fix the forward")),
              _failed("60", "mlp", Diagnosis("wrong-forward", "ReLU 1 of 2: forward differs from the reference on the "
                                             "(1, 1) input it receives inside the MLP")),
              _failed("61", "mlp", Diagnosis("wrong-forward", "MLP.predict differs from np.argmax(forward(x), axis=1)"))]
    causes = group_causes(checks)
    assert len(causes) == 1 and causes[0].first.number == "12"
    assert sorted(c.number for c in causes[0].all_checks()) == ["12", "13", "60", "61"]


def test_the_network_showing_its_layers_bug_and_one_bug_per_class_or_name():
    float32 = "output has dtype float32 for float64 input: keep every array float64"
    checks = [_failed("20", "tanh", Diagnosis("dtype", f"Tanh.forward's {float32}")),
              _failed("21", "tanh", Diagnosis("dtype", "Tanh.backward's output agrees with the exact value only to "
                                              "~4 digits, as float32 arithmetic does")),
              _failed("70", "mlp", Diagnosis("dtype", f"MLP.forward's {float32}")),
              _failed("5", "linear", Diagnosis("init-symmetric", "Linear(400, 300) initialises every weight to 0")),
              _failed("6", "linear", Diagnosis("init-symmetric", "Linear(20, 30) sets every weight to 0"))]
    causes = group_causes(checks)
    assert [sorted(c.number for c in cause.all_checks()) for cause in causes] == [["20", "21", "70"], ["5", "6"]]


def test_a_backward_blaming_its_forward_joins_the_forwards_named_bug():
    checks = [_failed("30", "cross-entropy", Diagnosis("loss-reduction", "the loss is N times the contract's value: "
                                                       "it is summed over the batch; return the mean")),
              _failed("31", "cross-entropy", Diagnosis("wrong-forward", "SoftmaxCrossEntropy.backward is the contract's "
                                                       "gradient, but your SoftmaxCrossEntropy.forward is not the "
                                                       "function it differentiates: fix the forward"))]
    causes = group_causes(checks)
    assert len(causes) == 1 and causes[0].id == "loss-reduction"


def test_a_symptom_of_a_symptom_is_told_under_the_top_root_and_no_check_is_lost():
    # MyTorch linear-no-bias: MLP0's dLdA0 follows from Linear.forward, itself the named bug.
    checks = [_failed("1", "linear", Diagnosis("batch-dependence", "Linear.forward centres the batch: the output "
                                               "for one sample changes with the others")),
              _failed("2", "linear", Diagnosis("wrong-forward", "Linear.forward's Z differs from the definition")),
              _failed("3", "mlp0", Diagnosis("wrong-gradient", "MLP0.backward's dLdA0 differs from the definition")),
              _failed("4", "mlp0", Diagnosis("crash", "MLP0.backward() raised TypeError: Linear.forward() takes 1 "
                                             "positional argument but 2 were given."))]
    causes = group_causes(checks)
    assert len(causes) == 1 and causes[0].first.number == "1"
    assert sorted(c.number for c in causes[0].all_checks()) == ["1", "2", "3", "4"]


def test_an_update_rule_or_a_nets_regulariser_is_one_card_however_each_check_found_it():
    # CS231n adam-no-bias-correction / fc-reg-no-half (survey: 3 cards each before).
    checks = [_failed("30", "update-rules", Diagnosis("optimizer-update", "adam: step 1 differs from t += 1 first")),
              _failed("31", "update-rules", Diagnosis("optimizer-update", "adam called with config=None must fill "
                                                      "in the course's defaults")),
              _failed("40", "fc-net", Diagnosis("regularization", "FullyConnectedNet's loss has the regulariser "
                                                "with the wrong factor")),
              _failed("41", "fc-net", Diagnosis("regularization", "FullyConnectedNet(normalization='batchnorm')'s "
                                                "loss has the regulariser with the wrong factor"))]
    assert [[c.number for c in cause.checks] for cause in group_causes(checks)] == [["30", "31"], ["40", "41"]]


def test_training_finding_the_bug_a_component_named_is_that_card():
    checks = [_failed("30", "update-rules", Diagnosis("optimizer-update", "sgd: step 1 differs from w - lr * dw")),
              _failed("90", "training", Diagnosis("optimizer-update", "training FullyConnectedNet([64]) with your loss "
                                                  "and sgd: the first update of W1 is not sgd's step"))]
    causes = group_causes(checks)
    assert len(causes) == 1 and [c.number for c in causes[0].all_checks()] == ["30", "90"]
