"""The command line runs NumPy's BLAS on one thread unless the user says otherwise (grader.threads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from grader.grading import grading_env
from grader.threads import BLAS_THREAD_VARS

# What a process that imported the command line finds: its BLAS libraries' thread counts.
PROBE = """
import json
import grader.cli
from threadpoolctl import threadpool_info
print(json.dumps([info["num_threads"] for info in threadpool_info()]))
"""


def blas_threads(**env: str) -> list[int]:
    clean = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARS}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS starts one thread anyway")
def test_the_command_line_runs_blas_on_one_thread():
    assert blas_threads() and set(blas_threads()) == {1}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS cannot start two threads")
def test_a_thread_count_the_user_set_is_kept():
    assert set(blas_threads(OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")) == {2}


def test_every_batch_grading_process_gets_one_thread_unless_set(monkeypatch: pytest.MonkeyPatch):
    for var in BLAS_THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    env = grading_env()
    assert {var: env[var] for var in BLAS_THREAD_VARS} == {
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "3",
        "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}
