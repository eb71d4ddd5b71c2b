"""The runner's own failures: a worker that cannot start ends the run at once, as exit 3,
with a valid score-0 report that names the reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grading_helpers import REFERENCE, REPO

from grader.reports import validate_gradescope

BROKEN_SANDBOX = """
import sys
import grader.sandbox.client as client
def start(self):
    raise client.SandboxError("simulated: the worker's interpreter cannot be executed")
client.Sandbox.start = start
from grader.cli import main
sys.argv = ["grader", *sys.argv[1:]]
main()
"""


def test_worker_that_cannot_start_is_a_prompt_grader_failure(tmp_path: Path) -> None:
    report = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-c", BROKEN_SANDBOX, "run", str(REFERENCE),
                           "--format", "json", "--output", str(report)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    # One start attempt, not one start time-out per check.
    assert proc.returncode == 3, proc.stderr
    assert "could not start" in proc.stderr and "Traceback" not in proc.stderr
    data = json.loads(report.read_text())
    assert validate_gradescope(data) == []
    assert data["score"] == 0 and "could not start" in data["output"]
