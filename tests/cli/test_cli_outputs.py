"""What a run leaves behind: only the report asked for, readable by the group, with exact points.

A student runs `grader check .` in their homework folder; before issue 14 every
run left a `.hypothesis/` folder there and wrote the report mode 0600.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from grader.reports import write_report

from cli_helpers import REFERENCE, SUBMISSIONS, make_result
from grading_helpers import gradescope_tests_by_check


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _with_umask(mask: int):
    def set_it() -> None:
        os.umask(mask)
    return set_it


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_report_mode_follows_the_umask(tmp_path: Path, fmt: str, mask: int, mode: int) -> None:
    out = tmp_path / f"report.{fmt}"
    old = os.umask(mask)
    try:
        write_report(make_result(), fmt, out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_run_in_the_homework_folder_writes_only_the_report(tmp_path: Path) -> None:
    """End to end: `grader run .` from the student's folder; `.hypothesis/` must not appear."""
    homework = tmp_path / "homework"
    shutil.copytree(REFERENCE, homework, ignore=shutil.ignore_patterns("__pycache__"))
    before = _files(homework)
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "run", ".", "--rubric", str(SUBMISSIONS / "fast.toml"),
         "--format", "json", "--output", "results.json"],
        cwd=homework, env=env, capture_output=True, text=True, timeout=600, preexec_fn=_with_umask(0o022))
    assert proc.returncode == 0, proc.stderr[-2000:]
    created = {f for f in _files(homework) - before if "__pycache__" not in f}
    assert created == {"results.json"}, created
    report = homework / "results.json"
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    # Exact arithmetic: per-check max_score values are whole cents adding up to the rubric's 100.
    tests = json.loads(report.read_text())["tests"]
    cents = [round(t["max_score"] * 100) for t in tests]
    assert all(abs(t["max_score"] * 100 - c) < 1e-6 for t, c in zip(tests, cents))
    assert sum(cents) == 100 * 100


def test_syntax_error_is_reported_against_its_file_with_pythons_reason(tmp_path: Path) -> None:
    """A syntax error in losses.py is losses.py's, with Python's reason, even in network.py's checks."""
    sub = tmp_path / "student"
    shutil.copytree(REFERENCE, sub, ignore=shutil.ignore_patterns("__pycache__"))
    losses = sub / "losses.py"
    lines = losses.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("def softmax"))
    lines[at] = "def softmax(logits:"  # the parenthesis is never closed
    losses.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "run", str(sub), "--rubric", str(SUBMISSIONS / "fast.toml"),
         "--format", "json"], capture_output=True, text=True, timeout=600)
    tests = gradescope_tests_by_check(json.loads(proc.stdout))
    hints = {name: [d["hint"] for d in t["extra_data"]["diagnoses"]] for name, t in tests.items()}
    own = hints["test_api.py::test_module_imports[losses]"]
    assert own and own[0].startswith(f"losses.py has a syntax error on line {at + 1}: "), own
    assert "never closed" in own[0] or "invalid syntax" in own[0], own  # Python's reason
    via = hints["test_api.py::test_module_imports[network]"]
    assert via and "network.py imports losses.py" in via[0] and "losses.py has a syntax error" in via[0]
    assert not any("network.py has a syntax error" in h for hs in hints.values() for h in hs)


def test_near_miss_never_prints_got_and_expected_alike(tmp_path: Path) -> None:
    """log(p + 1e-12) in the cross-entropy once failed with "got: 5.2394, expected: 5.2394"."""
    sub = tmp_path / "student"
    shutil.copytree(REFERENCE, sub, ignore=shutil.ignore_patterns("__pycache__"))
    losses = sub / "losses.py"
    text = losses.read_text()
    assert text.count("        log_p = _log_softmax(logits)") == 1
    losses.write_text(text.replace("        log_p = _log_softmax(logits)",
                                   "        log_p = np.log(softmax(logits) + 1e-12)"))
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "run", str(sub), "--rubric", str(SUBMISSIONS / "fast.toml"),
         "--format", "json"], capture_output=True, text=True, timeout=600)
    tests = gradescope_tests_by_check(json.loads(proc.stdout))
    forward = tests["test_losses.py::test_cross_entropy_forward"]
    assert forward["score"] < forward["max_score"]
    output = forward["output"]
    got = output.split("got:")[1].split("\n")[0].strip()
    expected = output.split("expected:")[1].split("\n")[0].strip()
    assert got != expected, output
    hint = forward["extra_data"]["diagnoses"][0]["hint"]
    assert "relative error" in hint and "np.log(p + 1e-12)" in hint
