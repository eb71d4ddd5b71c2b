"""The installed entry points, as CI runs them: real processes, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.reports import validate_gradescope

from cli_helpers import REFERENCE, SUBMISSIONS

FAST = SUBMISSIONS / "fast.toml"


def grader(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def crashing_grader(*args: str) -> subprocess.CompletedProcess[str]:
    """`grader` in a process whose runner raises, as a grader bug would."""
    code = ("import sys, grader.runner\n"
            "def grade(*a, **k): raise MemoryError('out of memory while building the checks')\n"
            "grader.runner.grade = grade\n"
            "from grader.cli import main\n"
            "sys.argv = ['grader', *sys.argv[1:]]\n"
            "main()\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr


def test_version_and_help() -> None:
    assert grader("--version").stdout.startswith("grader, version ")
    done = grader("--help")
    assert done.returncode == 0 and "Exit codes:" in done.stdout


def test_console_script_exists() -> None:
    exe = shutil.which("grader")
    if exe is None:
        pytest.skip("the grader console script is not on PATH")
    assert subprocess.run([exe, "--help"], capture_output=True).returncode == 0


def test_exit_2_missing_dir(tmp_path: Path) -> None:
    done = grader("run", str(tmp_path / "missing"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "does not exist" in done.stderr
    assert_clean(done)


def test_exit_2_bad_rubric(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text("[training]\nactivaton = \"relu\"\n")
    done = grader("run", str(REFERENCE), "--rubric", str(bad))
    assert done.returncode == 2
    assert f"{bad}: unknown key 'training.activaton'; did you mean 'training.activation'?" in done.stderr
    assert_clean(done)


def test_exit_2_unknown_format() -> None:
    done = grader("run", str(REFERENCE), "--format", "xml")
    assert done.returncode == 2 and "Invalid value for '--format'" in done.stderr
    assert_clean(done)


def test_exit_3_writes_a_valid_zero_report(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = crashing_grader("run", str(REFERENCE), "--format", "json", "--output", str(out))
    assert done.returncode == 3, done.stderr
    assert_clean(done)
    assert "the grader itself failed: unexpected MemoryError: out of memory" in done.stderr
    report = json.loads(out.read_text())
    assert validate_gradescope(report) == [] and report["score"] == 0
    assert "out of memory while building the checks" in report["output"]


def test_exit_3_even_with_fail_under_zero(tmp_path: Path) -> None:
    assert crashing_grader("run", str(REFERENCE), "--fail-under", "0").returncode == 3


@pytest.mark.slow
def test_real_run_on_the_reference(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = grader("run", str(REFERENCE), "--rubric", str(FAST), "--format", "json", "--output", str(out),
                  "--fail-under", "100", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert validate_gradescope(report) == []
    assert report["score"] == pytest.approx(100.0)
    assert_clean(done)


@pytest.mark.slow
def test_real_run_default_rubric_gives_the_reference_100_of_100(tmp_path: Path) -> None:
    """Every priced component has checks, and the reference earns all of them."""
    out = tmp_path / "results.json"
    done = grader("run", str(REFERENCE), "--format", "json", "--output", str(out), timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert sum(t["max_score"] for t in report["tests"]) == pytest.approx(100.0, abs=0.01)
    assert report["score"] == pytest.approx(100.0, abs=0.01)
    # stderr gives the figure the student's report shows: the checks shown (issue 22)
    assert "score on the 101 checks shown 96.47 / 96.47 (100.0%); 2 more checks are withheld" in done.stderr


@pytest.mark.slow
def test_real_fail_under_on_a_buggy_submission(tmp_path: Path) -> None:
    sub = tmp_path / "buggy"
    shutil.copytree(REFERENCE, sub, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    shutil.copyfile(SUBMISSIONS / "buggy" / "optim.py", sub / "optim.py")
    below = grader("run", str(sub), "--rubric", str(FAST), "--fail-under", "99", timeout=300)
    assert below.returncode == 1, below.stderr
    assert "optimizer-direction" in below.stdout or "optimizer" in below.stdout
    above = grader("run", str(sub), "--rubric", str(FAST), "--fail-under", "10", timeout=300)
    assert above.returncode == 0, above.stderr


@pytest.mark.slow
def test_real_check_on_the_reference(tmp_path: Path) -> None:
    sub = tmp_path / "mine"
    shutil.copytree(REFERENCE, sub, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    done = grader("check", cwd=sub, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "may still fail" in done.stdout
    assert_clean(done)


def test_the_process_ends_as_interpreter_exit_would_end_it(tmp_path: Path) -> None:
    """`grader` skips the interpreter's teardown (cli.exit_now), not what the user sees of an
    exit: output still buffered is written, exit handlers run, other threads finish (an
    executor never shut down does not keep the process alive), and the status is the
    command's."""
    marks = tmp_path / "marks.txt"
    code = ("import atexit, sys, threading\n"
            "from grader.cli import exit_now\n"
            f"marks = open({str(marks)!r}, 'a')\n"
            "atexit.register(lambda: (marks.write('exit handler\\n'), marks.flush()))\n"
            "gate = threading.Event()\n"
            "def late():\n"
            "    gate.wait()\n"
            "    marks.write('thread\\n'); marks.flush()\n"
            "threading.Thread(target=late).start()\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "idle = ThreadPoolExecutor(max_workers=1)\n"  # never shut down: its worker waits
            "idle.submit(int).result()\n"
            "print('still in the buffer', end='')\n"
            "sys.stderr.write('to stderr')\n"
            "gate.set()\n"
            "exit_now(5)\n"
            "print('never printed')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 5
    assert done.stdout == "still in the buffer" and done.stderr == "to stderr"
    assert marks.read_text().splitlines() == ["thread", "exit handler"]

