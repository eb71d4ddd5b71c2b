"""`grader batch --scheduler`: the same grading on a Dask LocalCluster of two worker processes."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helpers import SUBMISSIONS
from test_cli_batch import make_submission

from grader.batch import run_batch
from grader.cli import cli
from grader.records import load_records
from grader.rubric import load_rubric

distributed = pytest.importorskip("dask.distributed", reason="the nn-grader[dask] extra is not installed")

FAST = SUBMISSIONS / "fast.toml"


class Cluster:
    """The address of a LocalCluster running in a child process (tests/cli/dask_cluster.py)."""

    def __init__(self, address: str) -> None:
        self.scheduler_address = address


@pytest.fixture(scope="module")
def cluster():
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("dask_cluster.py"))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        address = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert address.startswith("tcp://"), f"the LocalCluster did not start (exit {proc.poll()})"
        yield Cluster(address)
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the cluster's processes only
            proc.wait()


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


@pytest.mark.slow
def test_batch_on_a_cluster_gives_records_gradebook_and_class_report(cluster, tmp_path: Path) -> None:
    klass = tmp_path / "class"
    make_submission(klass / "a-correct")
    make_submission(klass / "b-buggy", "buggy")
    make_submission(klass / "c-copy")
    (klass / "e-empty").mkdir()
    out, reports = tmp_path / "gradebook.csv", tmp_path / "reports"
    result = CliRunner().invoke(cli, ["batch", str(klass), "--scheduler", cluster.scheduler_address,
                                      "--out", str(out), "--rubric", str(FAST), "--reports-dir", str(reports)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert list(rows) == ["a-correct", "b-buggy", "c-copy", "e-empty"]
    assert float(rows["a-correct"]["percent"]) == 100.0 and rows["c-copy"]["score"] == rows["a-correct"]["score"]
    assert "optimizer-direction" in rows["b-buggy"]["diagnoses"]
    assert rows["e-empty"]["status"] == "bad-input" and "holds none of" in rows["e-empty"]["error"]
    # The workers' reports and logs came back; the records are the source of the class report.
    for name in ("a-correct", "b-buggy", "c-copy"):
        report = json.loads((reports / f"{name}.json").read_text())
        assert report["score"] == pytest.approx(float(rows[name]["score"]), abs=0.01)
        assert (reports / f"{name}.log").is_file()
    assert len(load_records(reports)) == 4
    figures = json.loads((reports / "class.json").read_text())
    assert figures["identical"] == [["a-correct", "c-copy"]]
    hits = {d["id"]: d["examples"] for d in figures["diagnoses"]}
    assert hits["optimizer-direction"] == ["b-buggy"]
    assert "class report: " in result.output


@pytest.mark.slow
def test_the_grader_command_on_a_cluster_ends_with_its_code(cluster, tmp_path: Path) -> None:
    """The real process: the Dask client's threads and executors do not keep it alive once the
    gradebook is written (grader.cli.exit_now ends threads as interpreter exit does)."""
    klass = tmp_path / "class"
    make_submission(klass / "a-correct")
    out = tmp_path / "gradebook.csv"
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(klass), "--scheduler",
                           cluster.scheduler_address, "--out", str(out), "--rubric", str(FAST),
                           "--reports-dir", str(tmp_path / "reports")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(_rows(out)["a-correct"]["percent"]) == 100.0


@pytest.mark.slow
def test_a_worker_lost_mid_grading_costs_a_retry_not_a_row(cluster, tmp_path: Path) -> None:
    klass = tmp_path / "class"
    for name in ("s1", "s2", "s3", "s4"):
        make_submission(klass / name)
    client = distributed.Client(cluster.scheduler_address)
    pids = client.run(os.getpid)
    summary: dict[str, object] = {}

    def grade() -> None:
        summary["result"] = run_batch([klass], rubric=load_rubric(FAST), out=tmp_path / "g.csv",
                                      reports_dir=tmp_path / "reports", scheduler=cluster.scheduler_address)

    thread = threading.Thread(target=grade)
    thread.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        busy = [addr for addr, tasks in client.processing().items() if tasks]
        if busy:
            time.sleep(2)  # let the worker's grading process get going
            victim = busy[0]
        time.sleep(0.1)
    assert victim is not None, "no worker ever started grading"
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(timeout=600)
    assert not thread.is_alive()
    assert pids[victim] not in client.run(os.getpid).values()  # the worker really died
    client.close()
    rows = _rows(tmp_path / "g.csv")
    assert list(rows) == ["s1", "s2", "s3", "s4"]
    assert all(r["status"] == "graded" and float(r["percent"]) == 100.0 for r in rows.values()), rows


def test_unreachable_scheduler_is_one_line_with_the_fix(tmp_path: Path) -> None:
    make_submission(tmp_path / "class" / "a")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "class"), "--scheduler", "tcp://127.0.0.1:9",
                                      "--rubric", str(FAST), "--out", str(tmp_path / "g.csv")],
                                env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "drop --scheduler" in result.stderr and len(result.stderr.strip().splitlines()) == 1
