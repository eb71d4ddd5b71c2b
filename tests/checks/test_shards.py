"""Two check sessions (grader.checks.shards): the halves are fixed by the checks alone, a run
in two sessions reports exactly what one session reports, and a second session that dies or
hangs costs its own checks, never the run."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from grading_helpers import REPO, make_submission

from grader.checks import plugin as grading_plugin
from grader.checks import shards
from grader.results import GradingResult
from grader.rubric import load_rubric
from grader.runner import grade


def fake_item(module: str, param: str | None = None) -> Any:
    return SimpleNamespace(path=Path(module),
                           callspec=SimpleNamespace(id=param) if param is not None else None)


def test_checks_that_share_state_run_in_the_same_half() -> None:
    items = ([fake_item("test_a.py", p) for p in ("relu", "tanh") for _ in range(3)]
             + [fake_item("test_b.py") for _ in range(5)] + [fake_item("test_c.py", "x")])
    halves = shards.shard_of(items, ["a"] * len(items), training_weight=0.0)
    by_group: dict[Any, set[int]] = {}
    for item, half in zip(items, halves):
        by_group.setdefault(shards.group_of(item), set()).add(half)
    assert all(len(h) == 1 for h in by_group.values()), by_group
    assert set(halves) == {0, 1}


def test_the_halves_are_balanced_and_a_training_group_weighs_its_run() -> None:
    items = [fake_item("test_training.py") for _ in range(4)] + [fake_item(f"test_{i}.py") for i in range(8)]
    tags = ["training"] * 4 + ["linear"] * 8
    light = shards.shard_of(items, tags, training_weight=0.0)
    heavy = shards.shard_of(items, tags, training_weight=20.0)
    # Without a run to weigh, 4 + 8 checks split 6 / 6; with it, the training half takes no other check.
    assert sorted([light.count(0), light.count(1)]) == [6, 6]
    training_half = heavy[0]
    assert [h for h, t in zip(heavy, tags) if h == training_half] == [training_half] * 4
    assert heavy == shards.shard_of(items, tags, training_weight=20.0)  # fixed: no timing involved


def test_the_parent_session_takes_the_lighter_half() -> None:
    """Half 0 (the parent's, which writes the report after both sessions) is the lighter one,
    wherever the placement put the heaviest group."""
    items = [fake_item("test_training.py")] + [fake_item(f"test_{i}.py") for i in range(5)]
    tags = ["training"] + ["linear"] * 5
    for weights in ([0.6] + [0.1] * 5, [0.3] + [0.1] * 5, [0.05] + [0.1] * 5):
        halves = shards.shard_of(items, tags, training_weight=0.0, weights=weights)
        load = [sum(w for w, h in zip(weights, halves) if h == half) for half in (0, 1)]
        assert load[0] <= load[1], (weights, halves)
        assert set(halves) == {0, 1}


def test_exit_codes_of_two_sessions() -> None:
    worst = shards.worst_code
    assert worst(0, 0) == 0 and worst(0, 1) == 1 and worst(5, 0) == 0 and worst(5, 5) == 5
    assert worst(1, 3) == 3 and worst(4, 0) == 4


def test_sandbox_facts_of_two_sessions_add_up() -> None:
    mine = {"blocked_functions": [{"function": "f", "check": "c3"}],
            "student_output": {"read_bytes": 10, "discarded_bytes": 4, "muted": False,
                               "discarded_by_check": {"c3": 4}},
            "conventions": ["dropout p keeps"]}
    theirs = {"blocked_functions": [{"function": "f", "check": "c1"}],
              "student_output": {"read_bytes": 5, "discarded_bytes": 1, "muted": True,
                                 "discarded_by_check": {"c1": 1}},
              "conventions": ["dropout p keeps"], "learning_curve": {"student": [1.0]}}
    shards.merge_report_data(mine, theirs, ["c1", "c2", "c3"])
    assert [r["check"] for r in mine["blocked_functions"]] == ["c1", "c3"]
    assert mine["student_output"] == {"read_bytes": 15, "discarded_bytes": 5, "muted": True,
                                      "discarded_by_check": {"c3": 4, "c1": 1}}
    assert mine["conventions"] == ["dropout p keeps"]
    assert mine["learning_curve"] == {"student": [1.0]}


# -- whole runs ------------------------------------------------------------------------

BUGS = {"layers.py": [("return np.where(self._mask, grad_out, 0.0)", "return grad_out")],
        "losses.py": [("return float(-log_p[np.arange(n), self._y].mean())",
                       "return float(-log_p[np.arange(n), self._y].sum())")]}
#: Everything in a check's outcome except how long it took.
TIMINGS = ("duration_s",)


def outcome(result: GradingResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in dataclasses.asdict(c).items() if k not in TIMINGS} for c in result.checks]


#: Time limits no loaded machine reaches: a check stopped by one would differ between two
#: gradings for a reason that is not the sessions (the suite met one at load 8).
UNREACHABLE_LIMITS = {"call_timeout_s": 900.0, "import_timeout_s": 900.0, "function_budget_s": 3600.0,
                      "train_timeout_s": 900.0, "run_timeout_s": 7200.0}


def graded(submission: Path, sessions: int, monkeypatch: pytest.MonkeyPatch, rubric: str = "selfcheck",
           **options: Any) -> GradingResult:
    monkeypatch.setattr(shards, "SHARDS", sessions)
    base = load_rubric(rubric)
    return grade(submission, base.with_overrides(limits={**dataclasses.asdict(base.limits), **UNREACHABLE_LIMITS}),
                 **options)


@pytest.mark.slow
@pytest.mark.parametrize("buggy", [False, True], ids=["reference", "two-bugs"])
def test_two_sessions_report_what_one_session_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      buggy: bool) -> None:
    submission = make_submission(tmp_path / "sub", BUGS) if buggy else REPO / "reference"
    one, two = graded(submission, 1, monkeypatch), graded(submission, 2, monkeypatch)
    differences = [(a["name"], key, a[key], b[key]) for a, b in zip(outcome(one), outcome(two), strict=True)
                   for key in a if a[key] != b[key]]
    assert not differences, differences
    timing_free = {k: v for k, v in one.artifacts.items() if not k.endswith("_s")}
    assert timing_free == {k: v for k, v in two.artifacts.items() if not k.endswith("_s")}
    assert (one.score < one.max_score) == buggy


def test_the_parent_readies_the_given_work_beside_its_checks_and_ignores_its_failure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The report writer's imports run on a thread of the parent's own while the sessions
    run, done before grading returns; a preparation that fails changes nothing (the report's
    own writing would say what failed) and prints nothing (no thread traceback)."""
    calls: list[tuple[int, str]] = []
    unhandled: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: unhandled.append(args.exc_value))

    def prepare() -> None:
        calls.append((os.getpid(), threading.current_thread().name))
        raise RuntimeError("no writer today")

    result = graded(REPO / "reference", 2, monkeypatch, while_waiting=prepare)
    # Once, in this process (the second session readies nothing), beside the main thread.
    assert calls == [(os.getpid(), "grader-readying")]
    assert not unhandled
    assert not [t for t in threading.enumerate() if t.name == "grader-readying"]
    assert result.checks and all(c.status == "passed" for c in result.checks)


def test_a_second_session_that_dies_costs_only_its_own_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grading_plugin.GradingPlugin, "child_outcome", lambda self, code: os._exit(7))
    result = graded(REPO / "reference", 2, monkeypatch)
    errors = [c for c in result.checks if c.status == "error"]
    passed = [c for c in result.checks if c.status == "passed"]
    assert errors and passed and len(errors) + len(passed) == len(result.checks)
    assert all("second check session ended without a result" in c.message and c.max_score == 0 for c in errors)


def test_a_second_session_that_overruns_is_killed_and_reaped() -> None:
    partner, tick_fd = shards.Partner.fork()
    if tick_fd is not None:  # the child: one check done, then never an outcome
        shards.tick(tick_fd)
        time.sleep(3600)
        os._exit(0)
    assert partner is not None
    ticks: list[int] = []
    assert partner.outcome(time.monotonic() + 1.0, ticks.append) is None
    assert sum(ticks) <= 1
    with pytest.raises(ChildProcessError):  # killed and reaped: nothing of it is left
        os.waitpid(partner.pid, os.WNOHANG)
    partner.kill()  # a second kill does nothing (the pid may be another process's by now)


def test_the_checks_of_a_session_that_sent_nothing_are_not_run_past_the_deadline() -> None:
    plugin = grading_plugin.GradingPlugin(REPO / "reference", load_rubric("selfcheck"), 0,
                                          deadline=time.monotonic() - 1.0)
    plugin.results = {name: grading_plugin.CheckResult(name=name, max_score=1.0) for name in ("a", "b", "c")}
    plugin.partner_checks = {"b", "c"}
    assert plugin.merge_partner(None, 0) == 0
    assert plugin.results["a"].status == "passed"
    assert all(plugin.results[n].status == "failed" and plugin.results[n].message.startswith(
        "not run: the run's time limit") for n in ("b", "c"))
