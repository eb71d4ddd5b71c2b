"""Stub detection (grader/checks/stubs.py) and the end-to-end promise: the untouched template scores 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.checks.stubs import stubbed, stubs_in

REPO = Path(__file__).resolve().parents[2]

SOURCE = '''
class Half:
    def __init__(self):
        self.x = 1

    def forward(self, x):
        """Docstring first is still a stub."""
        raise NotImplementedError("Half.forward")

    def backward(self, g):
        if g is None:
            raise NotImplementedError
        return g


def todo():
    raise NotImplementedError


def done():
    return 1


def other_error():
    raise ValueError("not a stub")
'''


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "mod.py").write_text(SOURCE)
    return tmp_path


def test_only_whole_body_raises_are_stubs(module: Path) -> None:
    assert stubs_in(module / "mod.py") == {"Half.forward", "todo"}


def test_stubbed_parts_of_a_contract_name(module: Path) -> None:
    assert stubbed(module, "mod", "Half", ["forward", "backward"]) == ["Half.forward"]
    assert stubbed(module, "mod", "todo") == ["todo"]
    assert stubbed(module, "mod", "done") == []
    assert stubbed(module, "absent", "todo") == []  # not a top-level file: left to the calls


def test_unparsable_file_yields_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def f(:\n    raise NotImplementedError\n")
    assert stubs_in(tmp_path / "bad.py") == set()


def test_untouched_template_earns_only_its_imports() -> None:
    """End to end through `grader run`: the template's files import (those checks pass, issue
    22), every other check earns nothing, and the report is the first-run one."""
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "run", str(REPO / "student_template"),
         "--rubric", str(REPO / "tests" / "cli" / "submissions" / "fast.toml"), "--format", "json"],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    report = json.loads(proc.stdout)
    imports = [t for t in report["tests"] if t["extra_data"]["check"].startswith("test_api.py::test_module_imports")]
    assert len(imports) == 4 and all(t["status"] == "passed" for t in imports)
    earning = {t["name"]: t["score"] for t in report["tests"] if t["score"] > 0 and t not in imports}
    assert not earning
    api = [t for t in report["tests"] if "api" in t["tags"] and t not in imports]
    assert api and all(d["id"] == "missing-api" for t in api for d in t["extra_data"]["diagnoses"])
    # Several stubs of one class are "them", one is "it".
    hints = [d["hint"] for t in api for d in t["extra_data"]["diagnoses"] if "still only raise" in d["hint"]]
    assert any("still only raise NotImplementedError" in h and "implement them" in h for h in hints)
    assert not any("still only raise NotImplementedError" in h and "implement it " in h for h in hints)
