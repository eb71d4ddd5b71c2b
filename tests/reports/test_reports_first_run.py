"""The first run: nothing implemented yet gives one short report in every format."""

from __future__ import annotations

import html as html_lib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.firstrun import first_steps, handout_steps, nothing_implemented
from grader.profiles import get_profile
from grader.reports import render, text
from grader.results import CheckResult, Diagnosis, GradingResult

STEPS = [{"file": "layers.py", "todo": ["Linear.__init__", "Linear.forward", "Linear.backward"]},
         {"file": "optim.py", "todo": ["SGD.__init__", "SGD.step"]},
         {"file": "network.py", "todo": [], "missing": True}]


def untouched(n_failed: int = 30, first_run: bool = True) -> GradingResult:
    checks = [CheckResult("test_api.py::test_module_imports[layers]", 0.5, 0.5, tags=["api"], number="1",
                          title="layers.py imports without errors")]
    for i in range(n_failed):
        hint = f"Linear.forward() raised NotImplementedError: stub {i}."
        checks.append(CheckResult(f"test_linear.py::test_{i}", 1.0, 0.0, status="failed", tags=["linear"],
                                  number=str(i + 2), title=f"Linear check {i}", message=hint,
                                  diagnoses=[Diagnosis("missing-api", hint)]))
    return GradingResult(submission="template", checks=checks, rubric="default", seed=1,
                         artifacts={"first_run": {"steps": STEPS}} if first_run else {})


def test_terminal_first_run_is_short_and_in_the_handouts_order():
    report = text.render(untouched(), width=80)
    assert "Nothing is implemented yet" in report
    assert "1. layers.py: Linear.__init__, Linear.forward, Linear.backward (start here)" in report
    assert report.index("layers.py:") < report.index("optim.py:") < report.index("network.py:")
    assert "network.py: the file is missing" in report
    assert "Linear check" not in report and "stub 0" not in report  # no per-check blocks
    assert "Most likely problems" not in report and "All checks shown passed" not in report
    assert len(report.splitlines()) < 30
    assert max(len(line) for line in report.splitlines()) <= 80


def test_markdown_html_junit_gradescope_say_it_once():
    md = render(untouched(), "markdown")
    assert "### Nothing is implemented yet" in md and "stub 0" not in md and "Most likely problems" not in md
    page = html_lib.unescape(render(untouched(), "html"))
    assert "Nothing is implemented yet" in page and "stub 0" not in page
    assert "<li>layers.py: Linear.__init__, Linear.forward, Linear.backward (start here)</li>" in page
    suite = ET.fromstring(render(untouched(), "junit")).find("testsuite")
    assert "Nothing is implemented yet" in suite.find("system-out").text
    assert all("stub" not in (f.text or "") for f in suite.iter("failure"))
    results = json.loads(render(untouched(), "json"))
    assert results["output"].startswith("#### Nothing is implemented yet")
    assert all("stub" not in t["output"] for t in results["tests"])


def test_without_the_artifact_or_with_a_real_bug_the_report_is_the_usual_one():
    assert "Nothing is implemented yet" not in text.render(untouched(first_run=False), width=100)
    result = untouched()
    result.checks[2].diagnoses = [Diagnosis("wrong-forward", "Linear.forward is off by one.")]
    report = text.render(result, width=100)
    assert "Nothing is implemented yet" not in report and "off by one" in report


def test_nothing_implemented_needs_every_failure_missing_and_nothing_but_imports_passing():
    assert nothing_implemented(untouched().checks)
    with_a_pass = untouched().checks + [CheckResult("test_linear.py::test_ok", 1.0, 1.0, tags=["linear"])]
    assert not nothing_implemented(with_a_pass)
    all_passed = [CheckResult("test_api.py::test_x", 1.0, 1.0, tags=["api"])]
    assert not nothing_implemented(all_passed)


def test_first_steps_follow_the_modules_then_the_file(tmp_path):
    (tmp_path / "layers.py").write_text(
        "class Linear:\n    def __init__(self):\n        raise NotImplementedError\n"
        "    def forward(self, x):\n        return x\n"
        "    def backward(self, g):\n        raise NotImplementedError('Linear.backward')\n"
        "def helper():\n    raise NotImplementedError\n")
    (tmp_path / "optim.py").write_text("def step():\n    return 1\n")
    missing = CheckResult("test_api.py::test_module_imports[network]", 1.0, status="failed",
                          message="the submission has no network.py.")
    steps = first_steps(tmp_path, ["layers", "optim", "network", "extras"], [missing])
    # a missing file is listed when a check says so; one no check asks for (extras) is not
    assert steps == [{"file": "layers.py", "todo": ["Linear.__init__", "Linear.backward", "helper"]},
                     {"file": "network.py", "todo": [], "missing": True}]


@pytest.mark.parametrize("width", [80, 100])
def test_first_run_wraps_within_the_terminal(width):
    report = text.render(untouched(), width=width)
    assert max(len(line) for line in report.splitlines()) <= width


# -- a course's handout stubs (grader.firstrun.handout_steps, the profiles' handout order) ----
PROFILES = Path(__file__).resolve().parents[1] / "profiles"


def steps_for(profile_name: str, folder: Path) -> list[dict] | None:
    profile = get_profile(profile_name)
    return handout_steps(folder, profile.handout_order(profile.release_for(folder)))


def test_the_mytorch_2_0_x_stub_is_listed_in_the_handouts_order():
    steps = steps_for("mytorch-hw1p1", PROFILES / "mytorch_v2" / "stub")
    assert [s["file"] for s in steps] == ["mytorch/nn/linear.py", "mytorch/nn/activation.py", "models/mlp.py",
                                          "mytorch/nn/loss.py", "mytorch/optim/sgd.py", "mytorch/nn/batchnorm.py"]
    assert steps[0]["todo"] == ["Linear.__init__", "Linear.forward", "Linear.backward"]
    # 2.0.x has no GELU or Softmax; MLP0's constructor is the handout's own, so not listed.
    assert "GELU.forward" not in steps[1]["todo"] and "Sigmoid.forward" in steps[1]["todo"]
    assert "MLP0.__init__" not in steps[2]["todo"] and "MLP1.__init__" in steps[2]["todo"]


def test_the_mytorch_3_0_x_stub_lists_gelu_and_softmax_and_every_mlp_constructor():
    steps = steps_for("mytorch-hw1p1", PROFILES / "mytorch" / "stub")
    assert steps[1]["todo"][-4:] == ["GELU.forward", "GELU.backward", "Softmax.forward", "Softmax.backward"]
    assert steps[2]["todo"][:3] == ["MLP0.__init__", "MLP0.forward", "MLP0.backward"]


def test_the_old_two_layer_net_stub_lists_loss_then_predict():
    steps = steps_for("cs231n-fc", PROFILES / "cs231n" / "neural_net_stub")
    assert steps == [{"file": "cs231n/classifiers/neural_net.py", "todo": ["TwoLayerNet.loss", "TwoLayerNet.predict"]}]
    assert steps_for("cs231n-fc", PROFILES / "cs231n" / "neural_net_2019") is None


def test_the_cs231n_stub_goes_layers_then_nets_then_update_rules():
    steps = steps_for("cs231n-fc", PROFILES / "cs231n" / "stub")
    assert [s["file"] for s in steps] == ["cs231n/layers.py", "cs231n/classifiers/fc_net.py", "cs231n/optim.py",
                                          "cs231n/layers.py"]
    assert steps[0]["todo"][:2] == ["affine_forward", "affine_backward"]
    assert steps[2]["todo"] == ["sgd_momentum", "rmsprop", "adam"]   # sgd is given


@pytest.mark.parametrize("profile_name, folder", [("mytorch-hw1p1", "mytorch/solution"),
                                                  ("mytorch-hw1p1", "mytorch_v2/solution"),
                                                  ("cs231n-fc", "cs231n/solution")])
def test_a_written_submission_has_no_first_run(profile_name, folder):
    assert steps_for(profile_name, PROFILES / folder) is None


def test_one_function_written_is_graded_as_usual(tmp_path):
    folder = shutil.copytree(PROFILES / "cs231n" / "stub", tmp_path / "started")
    layers = folder / "cs231n" / "layers.py"
    layers.write_text(layers.read_text().replace(
        "    out = None\n", "    out = x.reshape(x.shape[0], -1) @ w + b\n", 1))
    assert steps_for("cs231n-fc", folder) is None


def test_each_release_lists_what_it_assigns():
    cs231n, mytorch = get_profile("cs231n-fc"), get_profile("mytorch-hw1p1")
    by_name = {r.name: r for r in (*cs231n.releases, *mytorch.releases)}
    a1 = cs231n.handout_order(by_name["CS231n 2021-2024 assignment1"])
    assert [n for s in a1 for n in s.names][-2:] == ["TwoLayerNet.__init__", "TwoLayerNet.loss"]
    assert all("FullyConnectedNet" not in n and "adam" != n for s in a1 for n in s.names)
    old = cs231n.handout_order(by_name["CS231n 2016-2020 assignment1"])
    assert [(s.module, s.names) for s in old] == [("cs231n.classifiers.neural_net",
                                                   ("TwoLayerNet.loss", "TwoLayerNet.predict"))]
    new = cs231n.handout_order(by_name["CS231n 2025+ assignment1"])
    assert "svm_loss" not in new[0].names and "softmax_loss" in new[0].names
    s26 = mytorch.handout_order(by_name["MyTorch 3.0.x S26 (Swish)"])
    assert "Swish.forward" in s26[1].names and "GELU.forward" in s26[1].names


def test_the_handout_form_reads_handout_words_and_passes_of_given_code_do_not_hide_it():
    result = untouched()
    result.checks[0] = CheckResult("test_activations.py::test_forward[Identity]", 1.0, 1.0, tags=["activations"])
    result.checks[2].diagnoses = [Diagnosis("shape-mismatch", "Linear.forward's Z is None.")]
    result.artifacts["first_run"]["form"] = "handout"
    report = text.render(result, width=80)
    assert "Nothing is implemented yet" in report and "is still its stub" in report
    assert "NotImplementedError" not in report and "Linear check" not in report
    # Without the handout form, a shape error is a real diagnosis: the usual report.
    del result.artifacts["first_run"]["form"]
    assert "Nothing is implemented yet" not in text.render(result, width=80)
