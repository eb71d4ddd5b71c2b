"""A Dask worker killed mid-task leaves its task's folder (a student's submission and report)
in the machine's temporary folder; the next task there removes it (grader.distributed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader.distributed import TASK_FOLDER, sweep_orphaned_task_folders


def a_dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def task_folder(parent: Path, pid: int | str, suffix: str = "x1y2") -> Path:
    folder = parent / f"{TASK_FOLDER}{pid}-{suffix}"
    (folder / "submissions" / "alice").mkdir(parents=True)
    (folder / "submissions" / "alice" / "layers.py").write_text("import numpy as np\n")
    return folder


def test_a_dead_workers_folder_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = task_folder(tmp_path, a_dead_pid())
    live = task_folder(tmp_path, os.getpid())
    assert sweep_orphaned_task_folders(tmp_path) == 1
    assert not dead.exists() and live.is_dir()


def test_folders_it_cannot_attribute_are_left_alone(tmp_path: Path) -> None:
    old_style = tmp_path / f"{TASK_FOLDER}d2dkvqfi"  # before the pid was in the name
    old_style.mkdir()
    old_digits = tmp_path / f"{TASK_FOLDER}{a_dead_pid()}"  # an old random name of digits only
    old_digits.mkdir()
    other = tmp_path / "unrelated-12-folder"
    other.mkdir()
    assert sweep_orphaned_task_folders(tmp_path) == 0
    assert old_style.is_dir() and old_digits.is_dir() and other.is_dir()
