"""Helpers of the training-check tests: mutant submissions as text edits of reference/, and
grading them in subprocesses (the runner calls pytest.main in-process, so never in this one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference"
MODULES = ("layers.py", "losses.py", "optim.py", "network.py")
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"

Edits = dict[str, list[tuple[str, str]]]


def make_submission(dest: Path, edits: Edits | None = None) -> Path:
    """Copy reference/*.py into `dest` and apply (old, new) edits; each old must occur exactly once."""
    dest.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        text = (REFERENCE / module).read_text()
        for old, new in (edits or {}).get(module, []):
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{module}: {old!r} occurs {count} times, expected once")
            text = text.replace(old, new)
        (dest / module).write_text(text)
    return dest


def write_rubric(path: Path, **training: Any) -> Path:
    """The default rubric restricted to the training and performance checks, with overrides."""
    text = (REPO / "rubrics" / "default.toml").read_text()
    text = text.replace('# include_tags = ["api", "linear", "relu"]',
                        'include_tags = ["training", "performance"]')
    assert 'include_tags = ["training", "performance"]' in text, "rubrics/default.toml changed"
    for key, value in training.items():
        rendered = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
        lines, done = [], False
        section = ""
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("["):
                section = stripped
            if section == "[training]" and stripped.startswith(f"{key} ="):
                line, done = f"{key} = {rendered}", True
            lines.append(line)
        assert done, f"no training.{key} in rubrics/default.toml"
        text = "\n".join(lines) + "\n"
    path.write_text(text)
    return path


_SCRIPT = textwrap.dedent("""
    import dataclasses, json, sys
    from pathlib import Path
    from grader.rubric import load_rubric
    from grader.runner import grade

    jobs = json.loads(sys.argv[1])
    out = {}
    for name, sub, rubric in jobs:
        result = grade(Path(sub), load_rubric(rubric))
        out[name] = dataclasses.asdict(result)
    Path(sys.argv[2]).write_text(json.dumps(out))
""")


def grade_in_subprocess(jobs: list[tuple[str, Path, Path]], out_file: Path, timeout_s: float = 600) -> dict[str, Any]:
    """Grade (name, submission, rubric) jobs one after another in one fresh Python process."""
    args = json.dumps([[name, str(sub), str(rubric)] for name, sub, rubric in jobs])
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, args, str(out_file)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout_s, env=dict(os.environ))
    if proc.returncode != 0:
        raise RuntimeError(f"grading subprocess failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(out_file.read_text())


def grade_all(jobs: list[tuple[str, Path, Path]], workdir: Path, processes: int = 2) -> dict[str, Any]:
    """Split jobs over `processes` subprocesses (one per core), merge their results."""
    chunks = [jobs[i::processes] for i in range(processes) if jobs[i::processes]]
    with ThreadPoolExecutor(len(chunks)) as pool:
        parts = list(pool.map(lambda ic: grade_in_subprocess(ic[1], workdir / f"grades-{ic[0]}.json"),
                              enumerate(chunks)))
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def failures(result: dict[str, Any]) -> dict[str, list[str]]:
    """check name -> diagnosis ids, for every check that did not pass."""
    return {c["name"]: [d["id"] for d in c["diagnoses"]] for c in result["checks"] if c["status"] != "passed"}


def diagnosis_ids(result: dict[str, Any]) -> set[str]:
    return {i for ids in failures(result).values() for i in ids}


def describe(result: dict[str, Any]) -> str:
    lines = []
    for c in result["checks"]:
        if c["status"] != "passed":
            ids = ",".join(d["id"] for d in c["diagnoses"])
            lines.append(f"  {c['status']} {c['name']} [{ids}] {c['message'][:300]}")
    return "\n".join(lines) or "  (every check passed)"
