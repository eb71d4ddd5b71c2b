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
