"""`grader batch` forks each grading process from a warm server (grader.forkserver).

What must hold: the same report and record as a fresh `grader run` (apart from
timings); a grading process that dies is that submission's crashed record and
the server grades the next one; a time-out kills the process and its sandbox;
a server that is gone or never got warm costs speed, never a grade.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from grader.batch import run_batch
from grader.forkserver import ForkServer, ServerGone
from grader.grading import GradeOptions, grade_one, grading_env, start_fork_server
from grader.records import load_records
from grader.rubric import load_rubric

from cli_helpers import SUBMISSIONS, make_submission, members_after_kill

FAST = SUBMISSIONS / "fast.toml"
MODULES = ("layers", "losses", "optim", "network")


#: The timings a report or a record holds; everything else must be equal.
TIMINGS = frozenset({"execution_time", "execution_time_s", "duration_s", "training_time_s",
                     "checks_wall_time_s", "seconds"})


def untimed(value: object) -> object:
    """`value` (a report or record as JSON) without its timings, at any depth."""
    if isinstance(value, dict):
        return {key: untimed(item) for key, item in value.items() if key not in TIMINGS}
    if isinstance(value, list):
        return [untimed(item) for item in value]
    return value


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture
def server(tmp_path: Path):
    started = ForkServer(FAST, None, None, env=grading_env(), log=tmp_path / "fork-server.log")
    yield started
    started.close()


@pytest.mark.slow
def test_a_warm_batch_gives_the_reports_and_records_of_fresh_processes(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    make_submission(klass / "a-correct")
    make_submission(klass / "b-buggy", "buggy")
    rubric = load_rubric(FAST)
    outs = {}
    for warm in (True, False):
        out = tmp_path / ("warm" if warm else "fresh")
        summary = run_batch([klass], rubric=rubric, jobs=2, out=out / "gradebook.csv", reports_dir=out, warm=warm)
        assert [row.status for row in summary.rows] == ["graded", "graded"]
        outs[warm] = out
    for name in ("a-correct", "b-buggy"):
        warm, fresh = (json.loads((outs[w] / f"{name}.json").read_text()) for w in (True, False))
        assert untimed(warm) == untimed(fresh)
    for name in ("a-correct", "b-buggy"):
        warm, fresh = (json.loads((outs[w] / f"{name}.record.json").read_text()) for w in (True, False))
        assert untimed(warm) == untimed(fresh)
    scores = {r.submission: r.score for r in load_records(outs[True])}
    assert scores["b-buggy"] < scores["a-correct"]
    assert not (outs[True] / "fork-server.log").exists()  # an empty log leaves no clutter


def test_a_grading_process_that_dies_is_its_own_crashed_record(tmp_path: Path, server: ForkServer) -> None:
    sub = make_submission(tmp_path / "sub")
    zygote = server._proc.pid
    killed: list[int] = []

    def kill_the_first_child() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for child in children_of(zygote):
                os.kill(child, signal.SIGKILL)
                killed.append(child)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_first_child)
    killer.start()
    record = grade_one("sub", sub, rubric_file=FAST, reports_dir=tmp_path, timeout_s=60, server=server)
    killer.join()
    assert killed and record.status == "crashed" and "killed by signal 9" in record.error
    # The server is still there and grades the next submission.
    again = grade_one("sub", sub, rubric_file=FAST, reports_dir=tmp_path, timeout_s=120, server=server)
    assert again.status == "graded" and again.score == again.max_score > 0


def test_a_time_out_kills_the_forked_grading_and_its_sandbox(tmp_path: Path, server: ForkServer) -> None:
    # Stuck in its import: the batch's 4 s end it however fast this machine grades.
    sub = make_submission(tmp_path / "slow", "stuck")
    groups: list[int] = []

    def note_the_child() -> None:  # its pid is its process group (it called setsid)
        deadline = time.monotonic() + 4
        while not groups and time.monotonic() < deadline:
            groups.extend(children_of(server._proc.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=note_the_child)
    watcher.start()
    record = grade_one("slow", sub, rubric_file=FAST, reports_dir=tmp_path, timeout_s=4, server=server)
    watcher.join()
    assert record.status == "timeout" and record.error == "timeout: not graded within 4 s"
    assert groups, "the grading process was never seen"
    # The forked grader did setsid: its group held it and its sandbox workers.
    assert members_after_kill(groups[0]) == []


def test_a_server_that_died_costs_a_fresh_process_not_a_grade(tmp_path: Path, server: ForkServer) -> None:
    os.kill(server._proc.pid, signal.SIGKILL)
    server._proc.wait(timeout=10)
    with pytest.raises(ServerGone):
        server.run(["--version"], cwd=tmp_path, log=tmp_path / "v.log", timeout_s=10)
    record = grade_one("sub", make_submission(tmp_path / "sub"), rubric_file=FAST, reports_dir=tmp_path,
                       timeout_s=120, server=server)
    assert record.status == "graded" and record.score == record.max_score > 0


def test_a_server_that_cannot_get_warm_is_no_server(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = 3\n")
    options = GradeOptions(rubric_file=broken, timeout_s=10, seed=None, data=None, modules=MODULES)
    assert start_fork_server(options, tmp_path) is None
    with pytest.raises(ServerGone, match=r"not available \(RubricError: "):
        ForkServer(broken, None, None, env=grading_env(), log=tmp_path / "again.log")
