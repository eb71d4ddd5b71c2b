"""`grader batch`: discovery, the gradebook, and isolation of each submission's process."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader.grading as grading
from grader.batch import BatchError, BatchRow, discover, write_gradebook
from grader.cli import cli
from grader.grading import grade_one
from grader.records import load_records
from grader.rubric import load_rubric

from cli_helpers import REFERENCE, SUBMISSIONS, make_submission, members_after_kill
from grading_helpers import reap_orphans, set_child_subreaper

FAST = SUBMISSIONS / "fast.toml"
MODULES = ("layers", "losses", "optim", "network")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# -- discovery -------------------------------------------------------------------------


def test_discover_submissions_and_class_folders(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    for name in ("zoe", "adam", "mia"):
        (klass / name).mkdir(parents=True)
        (klass / name / "layers.py").write_text("")
    (klass / ".git").mkdir()
    (klass / "__pycache__").mkdir()
    (klass / "notes.txt").write_text("")
    single = tmp_path / "extra" / "adam"  # same name as a class member
    single.mkdir(parents=True)
    (single / "network.py").write_text("")
    found = discover([klass, single, klass / "mia"], MODULES)
    assert [name for name, _ in found] == ["adam", "mia", "zoe", "extra/adam"]  # mia only once


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="does not exist"):
        discover([tmp_path / "nope"], MODULES)
    (tmp_path / "f.zip").write_bytes(b"")
    with pytest.raises(BatchError, match="is a file"):
        discover([tmp_path / "f.zip"], MODULES)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="neither a submission"):
        discover([tmp_path / "empty"], MODULES)


def test_gradebook_columns_and_order(tmp_path: Path) -> None:
    rows = [BatchRow("b", tmp_path, score=87.5, max_score=100, percent=87.5, by_tag={"linear": 14.0},
                     diagnoses=["relu-mask", "wrong-gradient"], release="MyTorch 2.0.x S22-S23"),
            BatchRow("a", tmp_path, status="timeout", error="timeout: not graded within 5 s", max_score=100)]
    out = tmp_path / "g.csv"
    write_gradebook(rows, out, ["api", "linear"])
    with out.open(newline="") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "score", "max_score", "percent", "score:api", "score:linear",
                      "diagnoses", "release", "status", "error", "seconds"]
    got = read_csv(out)
    assert [r["submission"] for r in got] == ["b", "a"]  # the order given, not re-sorted
    assert got[0]["diagnoses"] == "relu-mask;wrong-gradient" and got[0]["score:linear"] == "14"
    assert got[1]["status"] == "timeout" and got[1]["score"] == "0"
    assert got[0]["release"] == "MyTorch 2.0.x S22-S23" and got[1]["release"] == ""


# -- one process per submission: exit statuses → rows -----------------------------------


@pytest.mark.parametrize("script, status, error", [
    ("import sys; print('Error: submission x holds none of layers.py', file=sys.stderr); sys.exit(2)",
     "bad-input", "submission x holds none of layers.py"),
    ("import sys; print('Error: the grader itself failed: boom', file=sys.stderr); sys.exit(3)",
     "grader-error", "the grader itself failed: boom"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "crashed", "killed by signal 9"),
    ("import sys; sys.exit(0)", "grader-error", "unreadable grading summary"),
])
def test_exit_statuses_become_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str,
                                   status: str, error: str) -> None:
    # A stand-in for `grader` that only exits: this tests the mapping, not grading.
    monkeypatch.setattr(grading, "grader_command", lambda: [sys.executable, "-c", script])
    row = grade_one("s", tmp_path, rubric_file=FAST, reports_dir=tmp_path, timeout_s=30)
    assert row.status == status and error in row.error and row.score == 0


def test_timeout_kills_the_grading_and_its_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real `grader run` on a hanging submission, killed by the batch deadline.

    This test process becomes a child subreaper, so the sandbox's supervisor and
    worker, orphaned when the grader is killed, are re-parented here where we
    can see them; none may outlive the kill by more than a few seconds.
    """
    groups: list[int] = []

    class RecordingPopen(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            groups.append(self.pid)  # start_new_session: its pid is its process group id

    monkeypatch.setattr(grading.subprocess, "Popen", RecordingPopen)
    # Stuck in its import: the batch's 4 s end it however fast this machine grades.
    sub = make_submission(tmp_path / "slow", "stuck")
    became_subreaper = set_child_subreaper(True)
    try:
        row = grade_one("slow", sub, rubric_file=FAST, reports_dir=tmp_path, timeout_s=4)
        assert row.status == "timeout" and row.error == "timeout: not graded within 4 s"
        assert row.score == 0
        assert len(groups) == 1
        # SIGKILL reached the whole group; its second check session may still be exiting.
        members = members_after_kill(groups[0])
        assert members == [], f"the grading's process group outlived the kill: {members}"
        if became_subreaper:
            deadline = time.monotonic() + 10
            while (alive := reap_orphans()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert alive == [], f"sandbox processes outlived the killed grader: {alive}"
    finally:
        set_child_subreaper(False)


# -- the command ---------------------------------------------------------------------


def test_batch_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits]\nmemory_mb = 0\n")
    (tmp_path / "s").mkdir()
    result = runner.invoke(cli, ["batch", str(tmp_path / "s"), "--rubric", str(bad)])
    assert result.exit_code == 2 and "limits.memory_mb = 0" in result.stderr


@pytest.mark.slow
def test_a_class_mixing_semesters_is_graded_each_by_its_own_release(tmp_path: Path) -> None:
    """Last year's 2.0.x handout beside this year's 3.0.x one: each row names its release
    and both correct solutions get full marks."""
    klass = tmp_path / "class"
    profiles = REFERENCE.parent / "tests" / "profiles"
    for name, source in (("a-2023", profiles / "mytorch_v2" / "solution"),
                         ("b-2024", profiles / "mytorch" / "solution")):
        shutil.copytree(source, klass / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "gradebook.csv"
    result = CliRunner().invoke(cli, ["batch", str(klass), "--profile", "mytorch-hw1p1", "--jobs", "2",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["submission"]: r for r in read_csv(out)}
    assert rows["a-2023"]["release"].startswith("MyTorch 2.0.x"), rows["a-2023"]
    assert rows["b-2024"]["release"] and "2.0.x" not in rows["b-2024"]["release"], rows["b-2024"]
    assert all(float(r["percent"]) == 100.0 for r in rows.values()), rows


@pytest.mark.slow
def test_batch_grades_a_class_in_isolation(tmp_path: Path) -> None:
    """Correct, buggy, hanging, crashing and empty submissions, graded by the real grader."""
    klass = tmp_path / "class"
    make_submission(klass / "a-correct")
    make_submission(klass / "b-buggy", "buggy")
    make_submission(klass / "c-hanging", "hanging")
    make_submission(klass / "d-crashing", "crashing")
    (klass / "e-empty").mkdir()
    # A CS231n assignment in a class graded with the default contract: refused with the
    # profile to use, never graded into a near-zero score (the rest of the class still is).
    shutil.copytree(REFERENCE.parent / "tests" / "profiles" / "cs231n" / "solution", klass / "f-cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out, reports = tmp_path / "gradebook.csv", tmp_path / "reports"
    result = CliRunner().invoke(cli, ["batch", str(klass), "--jobs", "2", "--out", str(out),
                                      "--rubric", str(FAST), "--reports-dir", str(reports)])
    assert result.exit_code == 0, result.output
    rows = {r["submission"]: r for r in read_csv(out)}
    assert list(rows) == ["a-correct", "b-buggy", "c-hanging", "d-crashing", "e-empty", "f-cs231n"]
    other = rows["f-cs231n"]
    assert other["status"] == "bad-input" and "grade it with --profile cs231n-fc" in other["error"], other
    correct = rows["a-correct"]
    assert correct["status"] == "graded" and float(correct["percent"]) == 100.0, correct
    assert float(correct["score:sgd"]) == 8.0
    buggy = rows["b-buggy"]
    assert buggy["status"] == "graded" and float(buggy["score"]) < float(correct["score"])
    assert "optimizer-direction" in buggy["diagnoses"], buggy
    assert float(buggy["score:linear"]) == float(correct["score:linear"])  # other components untouched
    for name, diagnosis in (("c-hanging", "timeout"), ("d-crashing", "crash")):
        row = rows[name]
        assert row["status"] == "graded" and float(row["score"]) < float(correct["score"]), row
        assert diagnosis in row["diagnoses"], row
        assert float(row["score:linear"]) == float(correct["score:linear"])  # one bad method, one component
    empty = rows["e-empty"]
    assert empty["status"] == "bad-input" and "holds none of" in empty["error"] and empty["score"] == "0"
    assert empty["max_score"] == correct["max_score"]
    for name in ("a-correct", "b-buggy", "c-hanging", "d-crashing"):
        assert (reports / f"{name}.json").is_file()
    assert "graded 4 of 6 submissions" in result.stdout
    # Every row has a record, and the class report is built from the same records.
    records = {r.submission: r for r in load_records(reports)}
    assert list(records) == list(rows)
    assert all(abs(records[n].score - float(rows[n]["score"])) < 0.01 for n in rows)
    figures = json.loads((reports / "class.json").read_text())
    assert figures["n_submissions"] == 6 and figures["n_graded"] == 4
    assert [(p["submission"], p["status"]) for p in figures["problems"]] == [("e-empty", "bad-input"),
                                                                             ("f-cs231n", "bad-input")]
    assert figures["identical"] == []  # each overlay changes optim.py; e-empty has no graded file
    hit = {d["id"]: d["examples"] for d in figures["diagnoses"]}
    assert hit["optimizer-direction"] == ["b-buggy"] and hit["timeout"] == ["c-hanging"]
    assert (reports / "class.html").is_file() and f"class report: {reports / 'class.html'}" in result.stdout
