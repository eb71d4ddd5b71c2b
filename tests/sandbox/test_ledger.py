"""The call ledger and the import graph: what is blocked, what is not, and what the hints say."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from grader.exitcodes import GRADER_FAILURE, OK, exit_code_for
from grader.results import CheckResult, GradingResult
from grader.sandbox import Limits, Rng, Sandbox, StudentException, StudentTimeout
from grader.sandbox.errors import CallBlocked, RunDeadlineReached, StudentMemoryError, WorkerDied
from grader.sandbox.imports import module_imports
from grader.sandbox.ledger import CallLedger

from .conftest import GOOD


def test_time_costly_failures_block_and_ordinary_exceptions_do_not() -> None:
    ledger = CallLedger(function_budget_s=10)
    ledger.context = "test_a.py::test_one"
    ledger.failed("A.f()", StudentException("A.f() raised ValueError.", exc_type="ValueError"))
    assert ledger.blocked("A.f()") is None
    for what, failure in [("B.f()", StudentTimeout("B.f() did not return within 1 s.")),
                          ("C.f()", StudentMemoryError("C.f() ran out of memory.")),
                          ("D.f()", WorkerDied("the process running D.f() was killed by SIGKILL."))]:
        ledger.failed(what, failure)
        refused = ledger.refusal(what)
        assert refused.diagnosis == failure.diagnosis
        assert refused.message.startswith(f"not run: {what} is not called again: in the check "
                                          "'test_a.py::test_one', ")
        assert failure.message in refused.message and refused.output == ""
    assert [r["function"] for r in ledger.summary()] == ["B.f()", "C.f()", "D.f()"]


def test_budget_counts_only_calls_under_the_default_limit() -> None:
    ledger = CallLedger(function_budget_s=1.0)
    for _ in range(5):
        ledger.finished("train()", 0.5, counted=False)
    assert ledger.blocked("train()") is None
    ledger.finished("ReLU.forward()", 0.6, counted=True)
    assert ledger.blocked("ReLU.forward()") is None
    ledger.finished("ReLU.forward()", 0.6, counted=True)
    blocked = ledger.blocked("ReLU.forward()")
    assert blocked is not None and blocked.diagnosis == "too-slow"
    assert "1 s budget" in blocked.message and "2 calls" in blocked.message


def test_a_caller_of_a_blocked_function_names_both() -> None:
    ledger = CallLedger(function_budget_s=10)
    ledger.record("ReLU.forward()", {"type": "ReLU", "attr": "forward"})
    ledger.failed("ReLU.forward()", StudentTimeout("ReLU.forward() did not return within 1 s."))
    text = ledger.refusal("ReLU.forward()", caller="MLP.forward()").message
    assert text.startswith("not run: MLP.forward() calls ReLU.forward(), which is not called again")
    assert ledger.targets() == [{"type": "ReLU", "attr": "forward", "label": "ReLU.forward()"}]


def test_import_graph_is_read_without_running_anything(tmp_path: Path) -> None:
    (tmp_path / "layers.py").write_text("import numpy as np\nraise SystemExit('never run')\n")
    (tmp_path / "losses.py").write_text("from layers import Linear\n")
    (tmp_path / "network.py").write_text("import layers, losses\nfrom optim import SGD\n"
                                         "def f():\n    import numpy\n")
    (tmp_path / "optim.py").write_text("def broken(:\n")
    graph = module_imports(tmp_path)
    assert graph == {"layers": [], "losses": ["layers"], "network": ["layers", "losses", "optim"],
                     "optim": []}


def _submission(tmp_path: Path, layers: str, network: str = "") -> Path:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "layers.py").write_text(layers)
    (sub / "network.py").write_text(network or "from layers import relu\n\n"
                                    "def forward(x):\n    return relu(x) + 1\n")
    return sub


def test_student_code_calling_a_hung_function_stops_at_once(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "import numpy as np\n\ndef relu(x):\n    while True:\n        pass\n")
    with Sandbox(sub, limits=Limits(call_timeout_s=1.0)) as sb:
        with pytest.raises(StudentTimeout) as first:
            sb.call("layers", "relu", np.ones(3))
        # The stack is read to its end before the worker is killed: the line is always there.
        assert re.search(r"layers.py line [45] in relu", first.value.message)
        # Refused without running: a second run of relu would hang again (StudentTimeout).
        with pytest.raises(CallBlocked) as again:
            sb.call("layers", "relu", np.ones(3))
        # `from layers import relu` bound the function in network too: it is stopped there as well.
        with pytest.raises(CallBlocked) as through:
            sb.call("network", "forward", np.ones(3))
        assert again.value.diagnosis == through.value.diagnosis == "timeout"
        assert "network.forward() calls layers.relu()" in through.value.message


def test_a_hung_constructor_is_refused_but_the_module_still_serves(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "class Slow:\n    def __init__(self):\n        while True:\n            pass\n\n"
                      "class Fine:\n    def ok(self):\n        return 3\n\ndef relu(x):\n    return x\n")
    with Sandbox(sub, limits=Limits(call_timeout_s=1.0)) as sb:
        with pytest.raises(StudentTimeout):
            sb.new("layers", "Slow")
        with pytest.raises(CallBlocked):
            sb.new("layers", "Slow")
        assert sb.new("layers", "Fine").call("ok") == 3


def test_import_that_hangs_is_one_fact_and_blocks_its_importers(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "import time\ntime.sleep(60)\n\ndef relu(x):\n    return x\n")
    with Sandbox(sub, limits=Limits(call_timeout_s=5.0, import_timeout_s=1.0)) as sb:
        with pytest.raises(StudentTimeout) as hung:
            sb.import_module("layers")
        assert "layers.py did not finish importing within 1 s" in hung.value.message
        with pytest.raises(CallBlocked) as importer:
            sb.call("network", "forward", 1.0)  # importing layers again would hang: StudentTimeout
        assert "network.py imports layers.py" in importer.value.message


def test_slow_import_is_not_charged_to_the_call(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "import time\ntime.sleep(1.5)\n\ndef relu(x):\n    return x\n")
    with Sandbox(sub, limits=Limits(call_timeout_s=0.5, import_timeout_s=5.0)) as sb:
        assert sb.call("network", "forward", 1.0) == 2.0


def test_output_past_the_budget_goes_to_dev_null(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "def relu(x):\n    for _ in range(20):\n        print('x' * 100_000)\n"
                      "    return x\n")
    with Sandbox(sub, limits=Limits(output_budget_bytes=1_000_000, output_limit_bytes=100)) as sb:
        sb.ledger.context = "check 1"
        sb.call("layers", "relu", 1.0)
        assert sb.output_stats.muted and sb.output_stats.read >= 2_000_000
        sb.ledger.context = "check 2"
        for _ in range(20):
            assert sb.call("layers", "relu", 1.0) == 1.0
        stats = sb.output_stats
        # Nothing more was read through the pipe; the worker counted what it threw away.
        assert stats.read < 2_100_000
        assert stats.by_context["check 2"] >= 20 * 2_000_000
        assert "discarded" in sb.last_output


def test_deadline_stops_a_call_and_every_later_one(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "import time\n\ndef relu(x):\n    time.sleep(30)\n")
    with Sandbox(sub, limits=Limits(call_timeout_s=30)) as sb:
        sb.import_module("layers")
        sb.deadline = time.monotonic() + 1.0
        # Stopped by the run's deadline (1 s), not by its own 30 s limit (StudentTimeout).
        with pytest.raises(RunDeadlineReached) as stopped:
            sb.call("layers", "relu", 1.0)
        assert "layers.relu()" in stopped.value.message
        with pytest.raises(RunDeadlineReached):
            sb.new("layers", "Anything", rng=Rng(0))
        # The deadline is not the function's fault: it is not blocked.
        assert sb.ledger.blocked("layers.relu()") is None


def test_grader_errors_are_exit_3_and_cost_nothing() -> None:
    ok = CheckResult("test_a.py::test_ok", max_score=5, score=5)
    broken = CheckResult("test_a.py::test_broken", max_score=0, status="error", message="boom")
    result = GradingResult("sub", checks=[ok, broken])
    assert result.percent == 100.0
    assert exit_code_for(result, None) == GRADER_FAILURE
    assert exit_code_for(GradingResult("sub", checks=[ok]), None) == OK


def test_sandbox_good_submission_keeps_working_after_blocks(tmp_path: Path) -> None:
    with Sandbox(GOOD, limits=Limits(call_timeout_s=2.0)) as sb:
        lin = sb.new("layers", "Linear", 2, 2)
        assert sb.ledger.blocked("Linear()") is None and lin.get("W").shape == (2, 2)
