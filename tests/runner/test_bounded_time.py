"""Bounded grading time, end to end through `grader run`: a hang, a slow function, a flood of
output, a memory blow-up or a slow import costs seconds once, the checks that do not need the
culprit keep their points, and a complete report always arrives.

The limits are scaled down (`FAST_LIMITS`) so each case costs seconds here; `bench/bench_time.py`
measures the same cases under the default rubric. Wall-time bounds are generous on purpose: CI
machines are loaded; the bench holds the real targets.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.dom.minidom
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.checks import shards
from grading_helpers import REPO, Edits, make_submission, gradescope_tests_by_check

from grader.reports import validate_gradescope
from grader.rubric import Rubric, load_rubric

pytestmark = pytest.mark.slow

FAST_LIMITS = {"call_timeout_s": 2.0, "import_timeout_s": 6.0, "function_budget_s": 3.0,
               "train_timeout_s": 20.0, "run_timeout_s": 240.0}
FAST_TRAINING = {"n_train": 1000, "n_test": 500, "epochs": 2, "accuracy_margin": 0.1,
                 "min_accuracy": 0.6, "time_budget_s": 10.0}
COMPONENTS = ["api", "linear", "relu", "tanh", "softmax", "cross-entropy", "sgd", "mlp",
              "training", "performance"]

ENDLESS = "        while True:\n            pass\n"
RELU_FORWARD = "    def forward(self, x: np.ndarray) -> np.ndarray:\n        self._mask = x > 0"
LINEAR_BACKWARD = '''        """grad_out: (N, out_features) -> (N, in_features); sets dW (in, out) and db (out,)."""'''
TRAIN_BODY = "    rng = rng if rng is not None else np.random.default_rng()\n    loss_fn = SoftmaxCrossEntropy()"


def endless_before(anchor: str) -> tuple[str, str]:
    """An edit that puts an endless loop at the start of the body that `anchor` opens."""
    head, _, rest = anchor.partition("\n")
    return anchor, f"{head}\n{ENDLESS}{rest}"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def write_rubric(path: Path, base: str = "default", **overrides: Any) -> Path:
    """The built-in rubric `base` with `overrides` (Rubric.with_overrides keys), as a TOML file."""
    rubric: Rubric = load_rubric(base).with_overrides(**overrides)
    raw = rubric.to_dict()
    lines = [f"{key} = {toml_value(value)}" for key, value in raw.items()
             if not isinstance(value, dict) and value is not None]
    for table in ("limits", "training"):
        lines += [f"[{table}]"] + [f"{k} = {toml_value(v)}" for k, v in raw[table].items()]
    for tag, rule in raw["components"].items():
        lines += [f"[components.{tag}]"] + [f"{k} = {toml_value(v)}" for k, v in rule.items()]
    for name, rule in raw["checks"].items():
        lines += [f"[checks.{json.dumps(name)}]"] + [f"{k} = {toml_value(v)}" for k, v in rule.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def fast_rubric(tmp: Path, name: str = "fast.toml", *, base: str = "default", **overrides: Any) -> Path:
    limits = {**FAST_LIMITS, **overrides.pop("limits", {})}
    return write_rubric(tmp / name, base, limits=limits, training=FAST_TRAINING,
                        hypothesis_max_examples=10, include_tags=COMPONENTS, **overrides)


def grade(submission: Path, rubric: Path, out: Path, *, command: str = "run", fmt: str = "json",
          timeout_s: float = 400) -> dict[str, Any]:
    """`grader run` (or `grader check`) in a subprocess: the exit code, seconds and report."""
    args = ([command, str(submission), "--rubric", str(rubric), "--format", fmt, "--output", str(out)]
            if command == "run" else [command, str(submission), "--rubric", str(rubric)])
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          timeout=timeout_s, cwd=REPO)
    return {"code": proc.returncode, "seconds": time.monotonic() - started, "stderr": proc.stderr,
            "stdout": proc.stdout, "report": out.read_text() if out.exists() else ""}


def checks_by_name(report: str) -> dict[str, dict[str, Any]]:
    data = json.loads(report)
    assert validate_gradescope(data) == []
    return gradescope_tests_by_check(data)


def full_marks(report: str) -> bool:
    tests = checks_by_name(report)
    return tests != {} and json.loads(report)["score"] == pytest.approx(
        sum(t["max_score"] for t in tests.values()), abs=0.01)


def diagnosis_ids(test: dict[str, Any]) -> list[str]:
    return [d["id"] for d in test.get("extra_data", {}).get("diagnoses", [])]


def component(test: dict[str, Any]) -> str:
    return test["tags"][0]


HANGS: dict[str, tuple[Edits, set[str], set[str]]] = {
    # name: (edits, components that must lose points to timeout, components that keep full points)
    "relu-forward": ({"layers.py": [endless_before(RELU_FORWARD)]},
                     {"relu"}, {"linear", "tanh", "softmax", "cross-entropy", "sgd"}),
    "linear-backward": ({"layers.py": [(LINEAR_BACKWARD, LINEAR_BACKWARD + "\n" + ENDLESS)]},
                        {"linear"}, {"relu", "tanh", "softmax", "cross-entropy"}),
    "sgd-step": ({"optim.py": [("    def step(self) -> None:\n",
                                "    def step(self) -> None:\n" + ENDLESS)]},
                 {"sgd", "training"}, {"linear", "relu", "tanh", "softmax", "cross-entropy", "mlp"}),
    "train": ({"network.py": [(TRAIN_BODY, "    while True:\n        pass\n" + TRAIN_BODY)]},
              {"training", "performance"},
              {"linear", "relu", "tanh", "softmax", "cross-entropy", "sgd", "mlp"}),
}


@pytest.fixture(scope="module")
def hang_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("hangs")
    rubric = fast_rubric(work)
    subs = {name: make_submission(work / name, edits) for name, (edits, _, _) in HANGS.items()}
    with ThreadPoolExecutor(2) as pool:
        outcomes = pool.map(lambda n: grade(subs[n], rubric, work / f"{n}.json"), HANGS)
    return dict(zip(HANGS, outcomes))


@pytest.mark.parametrize("case", list(HANGS))
def test_a_hang_is_paid_for_once(hang_reports: dict[str, dict[str, Any]], case: str) -> None:
    outcome = hang_reports[case]
    assert outcome["code"] == 0, outcome["stderr"]
    tests = checks_by_name(outcome["report"])
    _, hung, intact = HANGS[case]
    for name, test in tests.items():
        if component(test) in intact:
            assert test["score"] == pytest.approx(test["max_score"]), (name, test.get("output", ""))
    lost = [t for t in tests.values() if component(t) in hung and t["score"] < t["max_score"]]
    assert lost and all("timeout" in diagnosis_ids(t) for t in lost), [t["extra_data"]["check"] for t in lost]
    # One time-out was waited out per hung function in each of the run's two check sessions
    # (grader.checks.shards: they run side by side, each with its own worker); every other
    # check reports that same failure or was refused at once ("not run").
    blocked = json.loads(outcome["report"])["extra_data"]["blocked_functions"]
    per_function: dict[str, int] = {}
    for record in blocked:
        per_function[record["function"]] = per_function.get(record["function"], 0) + 1
    assert blocked and all(1 <= n <= shards.SHARDS for n in per_function.values()), blocked
    waited = {record["check"] for record in blocked}
    assert waited <= set(tests)
    refused = [t for t in tests.values() if "not run:" in t.get("output", "")]
    assert all("is not called again" in test["output"] for test in refused)


def test_a_train_that_never_finishes_earns_no_partial_credit(
        hang_reports: dict[str, dict[str, Any]]) -> None:
    tests = checks_by_name(hang_reports["train"]["report"])
    trained = [t for t in tests.values() if component(t) in ("training", "performance")]
    failed = [t for t in trained if t["score"] < t["max_score"]]
    assert all(t["score"] == 0 and diagnosis_ids(t) == ["timeout"] for t in failed), failed
    # What needs no train() keeps its points: the initial weights, and the layers under the
    # grader's own training loop.
    kept = {t["extra_data"]["check"] for t in trained if t not in failed}
    assert kept == {"test_training.py::test_initial_loss_near_log_c",
                    "test_training.py::test_hidden_units_differ_at_init",
                    "test_training.py::test_layers_learn_under_grader_loop"}


def test_a_slow_function_uses_up_its_budget_once(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "slow", {"layers.py": [
        (RELU_FORWARD, RELU_FORWARD.replace("self._mask", "__import__('time').sleep(0.5)\n        self._mask"))]})
    outcome = grade(sub, fast_rubric(tmp_path), tmp_path / "r.json")
    assert outcome["code"] == 0, outcome["stderr"]
    tests = checks_by_name(outcome["report"])
    slow = [t for t in tests.values() if "too-slow" in diagnosis_ids(t)]
    assert slow, "the slow ReLU.forward must be named too-slow"
    assert any("ReLU.forward()" in t["output"] and "budget" in t["output"] for t in slow)
    for test in tests.values():
        if component(test) in ("linear", "tanh", "softmax", "cross-entropy"):
            assert test["score"] == pytest.approx(test["max_score"]), test["name"]


def test_an_output_flood_costs_only_the_flood(tmp_path: Path) -> None:
    tanh = "        self._out = np.tanh(x)"
    sub = make_submission(tmp_path / "flood", {"layers.py": [
        (tanh, "        for _ in range(50):\n            print('x' * 1_000_000)\n" + tanh)]})
    rubric = fast_rubric(tmp_path)
    outcome = grade(sub, rubric, tmp_path / "r.json")
    assert outcome["code"] == 0, outcome["stderr"]
    assert full_marks(outcome["report"]), "a chatty correct submission keeps full marks"
    text = grade(sub, rubric, tmp_path / "r.txt", fmt="text")["report"]
    assert "of your program's output discarded" in text and "GB" in text


def test_a_memory_blow_up_is_paid_for_once(tmp_path: Path) -> None:
    grow = "        self._out = np.tanh(x)"
    sub = make_submission(tmp_path / "memory", {"layers.py": [
        (grow, "        hog = []\n        while True:\n            hog.append(np.ones(1 << 20))\n" + grow)]})
    outcome = grade(sub, fast_rubric(tmp_path), tmp_path / "r.json")
    assert outcome["code"] == 0, outcome["stderr"]
    tests = checks_by_name(outcome["report"])
    tanh = [t for t in tests.values() if component(t) == "tanh"]
    assert tanh and all("memory-limit" in diagnosis_ids(t) for t in tanh)
    for test in tests.values():
        if component(test) in ("linear", "relu", "softmax", "cross-entropy", "sgd"):
            assert test["score"] == pytest.approx(test["max_score"]), test["name"]


def test_slow_import_same_verdicts_in_check_and_run(tmp_path: Path) -> None:
    """The self-check's short call limit used to re-import a slow module before every call."""
    sub = make_submission(tmp_path / "slow-import", {"layers.py": [
        ("import numpy as np\n", "import numpy as np\nimport time\ntime.sleep(3)\n")]})
    run_rubric = fast_rubric(tmp_path, "run.toml", limits={"call_timeout_s": 5.0})
    check_rubric = fast_rubric(tmp_path, "check.toml", base="selfcheck", public_only=True,
                               limits={"call_timeout_s": 1.5})
    with ThreadPoolExecutor(2) as pool:
        ran = pool.submit(grade, sub, run_rubric, tmp_path / "run.json")
        checked = pool.submit(grade, sub, check_rubric, tmp_path / "check.txt", command="check")
        ran_out, check_out = ran.result(), checked.result()
    assert ran_out["code"] == 0 and check_out["code"] == 0, ran_out["stderr"] + check_out["stderr"]
    assert full_marks(ran_out["report"])
    # Every check the self-check shares with the run passes there too.
    assert "FAIL" not in check_out["stdout"] and "All checks shown passed" in check_out["stdout"]


def test_import_over_its_limit_is_one_fact(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "hung-import", {"layers.py": [
        ("import numpy as np\n", "import numpy as np\nimport time\ntime.sleep(30)\n")]})
    outcome = grade(sub, fast_rubric(tmp_path, limits={"import_timeout_s": 2.0}), tmp_path / "r.json")
    assert outcome["code"] == 0, outcome["stderr"]
    tests = checks_by_name(outcome["report"])
    imports = tests["test_api.py::test_module_imports[layers]"]
    assert "timeout" in diagnosis_ids(imports) and "layers.py did not finish importing" in imports["output"]
    network = tests["test_api.py::test_module_imports[network]"]
    assert "network.py imports layers.py" in network["output"]
    assert tests["test_api.py::test_module_imports[losses]"]["score"] > 0
    for test in tests.values():
        if component(test) == "linear":
            assert test["score"] == 0 and "timeout" in diagnosis_ids(test)


FORMATS = ("json", "junit", "markdown", "text", "html")


def test_run_deadline_ends_the_run_with_complete_reports(tmp_path: Path) -> None:
    sleeper = "        while True:\n            __import__('time').sleep(1)\n"
    sub = make_submission(tmp_path / "deadline", {"layers.py": [(RELU_FORWARD, RELU_FORWARD.replace(
        "\n        self._mask", "\n" + sleeper + "        self._mask"))]})
    # Without the deadline the first hang alone would take the call limit, 120 s.
    rubric = fast_rubric(tmp_path, limits={"call_timeout_s": 120.0, "run_timeout_s": 20.0})
    with ThreadPoolExecutor(2) as pool:
        outcomes = dict(zip(FORMATS, pool.map(
            lambda fmt: grade(sub, rubric, tmp_path / f"report.{fmt}", fmt=fmt), FORMATS)))
    for fmt, outcome in outcomes.items():
        assert outcome["code"] == 0, (fmt, outcome["stderr"])
        assert outcome["report"], fmt
    tests = checks_by_name(outcomes["json"]["report"])
    # The check running at the deadline says what it was running (on an unloaded machine the
    # endless ReLU.forward; on a loaded one the deadline may come earlier), the rest were not run.
    stopped = [t for t in tests.values() if "stopped: the run's time limit was reached" in t.get("output", "")]
    assert len(stopped) <= shards.SHARDS  # one running check in each check session
    not_run = [t for t in tests.values() if "not run: the run's time limit" in t.get("output", "")]
    assert not_run and all(t["score"] == 0 for t in not_run), [t.get("output", "")[:160] for t in tests.values()][:3]
    assert all(t["score"] == 0 for t in stopped)
    xml.dom.minidom.parseString(outcomes["junit"]["report"])
    assert "time limit" in outcomes["text"]["report"]
    assert outcomes["html"]["report"].rstrip().endswith("</html>")


@pytest.mark.parametrize("data", ["mnist", "EMPTY"])
def test_missing_data_is_bad_input_before_grading(tmp_path: Path, data: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))  # nothing downloaded here
    if data == "EMPTY":
        (tmp_path / "empty").mkdir()
        data = str(tmp_path / "empty")
    report = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "grader", "run", str(REPO / "reference"), "--data", data,
                           "--format", "json", "--output", str(report)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and ("--data" in lines[0] or "download" in lines[0]), proc.stderr
    assert "Traceback" not in proc.stderr and not report.exists()
