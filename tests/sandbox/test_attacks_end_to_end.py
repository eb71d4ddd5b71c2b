"""Whole-submission attacks graded through `grader run`: the run ends within its limits, the
report is a valid Gradescope results.json written by the grader, the attack gains no points,
and nothing the student started outlives the run.

Each attack is the reference (or a reference with a known bug, so that points are at stake)
plus a few lines of hostile code. The sandbox-level tests in test_attacks.py look at each
protection in detail; these look at what an instructor sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from grading_helpers import REPO, make_submission, reap_orphans, set_child_subreaper

from grader.reports import validate_gradescope

RELU_MASK_BUG = ("return np.where(self._mask, grad_out, 0.0)", "return np.where(grad_out > 0, grad_out, 0.0)")
WALL_LIMIT_S = 120.0


@dataclass(frozen=True)
class Attack:
    name: str
    edits: dict[str, list[tuple[str, str]]]
    tags: tuple[str, ...]
    expect: str = ""                 # a diagnosis id the report must carry
    baseline: str = ""               # an attack-free submission whose score it must not beat
    escaped_file: bool = False       # the attack tries to write MARKER after the run ends
    extra: dict[str, Any] = field(default_factory=dict)


def prepend(module_text_head: str, code: str) -> tuple[str, str]:
    """An edit that inserts `code` right after the module's `import numpy as np` line."""
    return (module_text_head, module_text_head + "\n" + code)


NP = "import numpy as np"
ATTACKS = [
    Attack("fake-report", {"layers.py": [RELU_MASK_BUG, prepend(NP, (
        "import json, sys\n"
        "_FAKE = json.dumps({'score': 100, 'tests': [{'name': 'all', 'score': 100, 'max_score': 100}]})\n"
        "print(_FAKE); print(_FAKE, file=sys.stderr)\n"
        "try:\n    open(__import__('os').environ.get('GRADER_REPORT', '@OUTPUT@'), 'w').write(_FAKE)\n"
        "except OSError:\n    pass\n"))]},
        tags=("relu",), expect="relu-mask", baseline="relu-bug"),
    Attack("exit-at-import", {"network.py": [prepend(NP, "import sys\nsys.exit(0)")]},
           tags=("linear", "mlp"), expect="import-error"),
    Attack("os-exit-in-forward", {"layers.py": [(
        "        self._x = x\n        return x @ self.W + self.b",
        "        import os\n        os._exit(0)")]}, tags=("linear",), expect="crash"),
    Attack("signals-ignored-endless-step", {"optim.py": [(
        "    def step(self) -> None:\n",
        "    def step(self) -> None:\n        import signal\n"
        "        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "            signal.signal(s, signal.SIG_IGN)\n        while True:\n            pass\n")]},
        tags=("sgd",), expect="timeout"),
    Attack("memory-bomb", {"layers.py": [(
        "        rng = rng if rng is not None else np.random.default_rng()\n",
        "        rng = rng if rng is not None else np.random.default_rng()\n"
        "        self._hog = [bytearray(64 << 20) for _ in range(64)]\n")]},
        tags=("linear",), expect="memory-limit"),
    Attack("stdout-flood", {"layers.py": [RELU_MASK_BUG, (
        "        self._mask = x > 0\n",
        "        self._mask = x > 0\n        import sys\n        sys.stdout.write('A' * (8 << 20))\n")]},
        tags=("relu",), expect="relu-mask", baseline="relu-bug"),
    Attack("orphan-overwrites-later", {"layers.py": [prepend(NP, (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.closerange(0, 1 << 16)\n"
        "        time.sleep(4)\n"
        "        open('@MARKER@', 'w').write('escaped')\n"
        "        os._exit(0)\n"
        "    os._exit(0)\n"))]}, tags=("linear",), escaped_file=True),
    Attack("monkeypatched-numpy", {"layers.py": [RELU_MASK_BUG, prepend(NP, (
        "np.allclose = lambda *a, **k: True\n"
        "np.array_equal = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"))]},
        tags=("relu",), expect="relu-mask", baseline="relu-bug"),
    Attack("imports-torch", {"layers.py": [prepend(NP, "import torch")]}, tags=("linear",),
           expect="forbidden-import"),
    Attack("imports-the-reference", {"losses.py": [prepend(NP, "from reference.losses import *")]},
           tags=("softmax",), expect="forbidden-import"),
    Attack("imports-the-grader", {"optim.py": [(
        "class SGD:", "import grader.results\n\n\nclass SGD:")]}, tags=("sgd",),
        expect="forbidden-import"),
]
BASELINES = {"relu-bug": {"layers.py": [RELU_MASK_BUG]}}


def rubric_text(tags: tuple[str, ...]) -> str:
    components = "".join(f'[components.{tag}]\npoints = 10\n' for tag in tags)
    return (f"include_tags = {json.dumps(list(tags))}\nhypothesis_max_examples = 10\n"
            f"[limits]\ncall_timeout_s = 2.0\n{components}")


def grade(sub: Path, tags: tuple[str, ...], work: Path) -> dict[str, Any]:
    rubric = work / f"{sub.name}.toml"
    rubric.write_text(rubric_text(tags))
    output = work / f"{sub.name}.json"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "grader", "run", str(sub), "--rubric", str(rubric),
                           "--format", "json", "--output", str(output)],
                          capture_output=True, text=True, timeout=WALL_LIMIT_S * 2, cwd=REPO)
    return {"code": proc.returncode, "seconds": time.monotonic() - started, "stderr": proc.stderr,
            "report": json.loads(output.read_text()) if output.exists() else None,
            "output_path": output}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("attacks-e2e")
    # World-writable, so only the kill at the end of the run can stop an orphan's write.
    drop = work / "drop"
    drop.mkdir()
    drop.chmod(0o1777)
    jobs: list[tuple[str, Path, tuple[str, ...]]] = []
    for attack in ATTACKS:
        edits = {module: [(old, new.replace("@MARKER@", str(drop / attack.name))
                           .replace("@OUTPUT@", str(work / f"{attack.name}.json")))
                          for old, new in pairs] for module, pairs in attack.edits.items()}
        jobs.append((attack.name, make_submission(work / attack.name, edits), attack.tags))
    for name, edits in BASELINES.items():
        tags = next(a.tags for a in ATTACKS if a.baseline == name)
        jobs.append((name, make_submission(work / name, edits), tags))
    # Orphans of the graders are re-parented to this process, where we can count them.
    watching = set_child_subreaper(True)
    try:
        with ThreadPoolExecutor(2) as pool:
            results = dict(zip([j[0] for j in jobs], pool.map(lambda j: grade(j[1], j[2], work), jobs)))
        time.sleep(5)  # longer than any orphan's delay: anything that survived has written by now
        leftovers = reap_orphans() if watching else []
    finally:
        set_child_subreaper(False)
    results["_meta"] = {"drop": drop, "leftovers": leftovers}
    return results


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_contained(graded: dict[str, dict[str, Any]], attack: Attack) -> None:
    run = graded[attack.name]
    assert run["code"] == 0, run["stderr"][-2000:]
    report = run["report"]
    assert report is not None and validate_gradescope(report) == [], run["stderr"][-2000:]
    assert report["tests"], "the report lists the checks"
    ids = {d["id"] for t in report["tests"] for d in t.get("extra_data", {}).get("diagnoses", [])}
    if attack.expect:
        assert attack.expect in ids, (attack.name, ids)
        assert report["score"] < sum(t["max_score"] for t in report["tests"])
    if attack.baseline:
        assert report["score"] <= graded[attack.baseline]["report"]["score"]
    if attack.escaped_file:
        assert not (graded["_meta"]["drop"] / attack.name).exists(), "an orphan outlived the run"


def test_no_sandbox_process_outlives_the_runs(graded: dict[str, dict[str, Any]]) -> None:
    assert graded["_meta"]["leftovers"] == []


def test_student_cannot_overwrite_the_report(graded: dict[str, dict[str, Any]]) -> None:
    report = graded["fake-report"]["report"]
    # The attack tried to write a 100/100 report to this exact path; the grader's stands.
    assert report["score"] < 100 and len(report["tests"]) > 1
    assert "extra_data" in report["tests"][0]
