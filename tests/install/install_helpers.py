"""Shared by the install tests: the submissions they grade and the environments they make."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILES = ("default", "mytorch-hw1p1", "cs231n-fc")
SOLUTIONS = {
    "default": REPO / "reference",
    "mytorch-hw1p1": REPO / "tests" / "profiles" / "mytorch" / "solution",
    "cs231n-fc": REPO / "tests" / "profiles" / "cs231n" / "solution",
}
#: profile -> (the bug, the component it costs, the diagnosis that names it). The courses' are
#: mutants from their catalogs; each is caught by a Hypothesis check (its example is reported).
BUGGY: dict[str, tuple[str, str, str]] = {
    "default": ("db keeps the batch axis", "linear", "bias-gradient-not-summed"),
    "mytorch-hw1p1": ("linear-dLdb-not-summed", "linear", "bias-gradient-not-summed"),
    "cs231n-fc": ("affine-db-mean", "affine", "gradient-scale"),
}

# The top-level folders the wheel carries inside the package.
_MAPPED = {"rubrics": "grader/rubrics", "student_template": "grader/student_template"}
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


def expected_wheel_files() -> set[str]:
    """Every file of grader/, reference/, rubrics/ and student_template/, and docs/'s Markdown
    (what `grader docs` prints), as the wheel names it."""
    expected = {"grader/docs/" + f.relative_to(REPO / "docs").as_posix() for f in (REPO / "docs").rglob("*.md")}
    for top in ("grader", "reference", *_MAPPED):
        for file in (REPO / top).rglob("*"):
            relative = file.relative_to(REPO)
            if not file.is_file() or _SKIPPED_PARTS & set(relative.parts) or file.suffix in (".pyc", ".pyo"):
                continue
            name = relative.as_posix()
            for folder, inside in _MAPPED.items():
                if name.startswith(folder + "/"):
                    name = inside + name[len(folder):]
            expected.add(name)
    return expected


def readme_workflow_commands() -> list[str]:
    """The `run:` steps of README.md's GitHub Actions recipe that grade (not the install)."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("### GitHub Classroom / Actions"):]
    block = section[section.index("```yaml") + len("```yaml"):]
    block = block[:block.index("```")]
    steps = [line.split("run:", 1)[1].split("#", 1)[0].strip() for line in block.splitlines()
             if "run:" in line]
    return [step for step in steps if step.startswith("grader ")]


def venv_env(**extra: str) -> dict[str, str]:
    """The environment for a command of an installed grader: nothing that would make
    Python import this checkout instead (PYTHONPATH, as a developer's shell may set)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    return {**env, **extra}


def make_venv(where: Path) -> Path:
    """A fresh virtual environment that borrows this interpreter's site-packages for the
    dependencies (no download); its bin/ folder."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(where)], check=True,
                   timeout=300)
    return where / "bin"


def buggy_submission(profile: str, dest: Path) -> Path:
    """A copy of `profile`'s correct solution with its one known bug (BUGGY) in `dest`."""
    bug = BUGGY[profile][0]
    if profile == "default":
        shutil.copytree(SOLUTIONS[profile], dest, ignore=shutil.ignore_patterns("__pycache__"))
        layers = dest / "layers.py"
        summed = "self.db = grad_out.sum(axis=0)"
        assert layers.read_text().count(summed) == 1, "the reference's Linear.backward changed"
        layers.write_text(layers.read_text().replace(summed, "self.db = grad_out"))
        return dest
    sys.path.insert(0, str(REPO / "tests" / "profiles" / ("mytorch" if profile.startswith("mytorch") else "cs231n")))
    try:
        catalog = __import__("mytorch_catalog" if profile.startswith("mytorch") else "cs231n_catalog")
    finally:
        sys.path.pop(0)
    mutant = next(m for m in catalog.MUTANTS if m.name == bug)
    return catalog.materialize(dest, mutant.edits)


def diagnosed(results: dict, component: str, diagnosis: str) -> bool:
    """Whether a Gradescope results.json lost points on `component` with `diagnosis` named."""
    return any(component in t.get("tags", []) and t["score"] < t["max_score"]
               and diagnosis in [d["id"] for d in t["extra_data"].get("diagnoses", [])]
               for t in results["tests"])


# -- upgrades are safe: the same submission, seed and rubric keep their scores -----------

PINNED = Path(__file__).resolve().parent / "pinned_scores.json"
#: Checks whose score depends on the machine's speed (time budgets) are not pinned.
_UNPINNED_TAGS = {"performance"}


def check_scores(results: dict) -> dict[str, float]:
    return {t["extra_data"]["check"]: round(t["score"], 2) for t in results["tests"]
            if not _UNPINNED_TAGS & set(t.get("tags", []))}


def grader_version() -> str:
    import grader

    return grader.__version__


def check_pinned_scores(profile: str, results: dict) -> None:
    """Fail when a buggy fixture's per-check scores moved without a new version and a
    CHANGELOG.md entry: a course that upgrades between two gradings of one assignment must
    get the same grades, or be told why. GRADER_UPDATE_GOLDEN=1 re-pins."""
    pinned = json.loads(PINNED.read_text()) if PINNED.is_file() else {"version": None, "scores": {}}
    scores = check_scores(results)
    if os.environ.get("GRADER_UPDATE_GOLDEN", "") not in ("", "0"):
        pinned["version"] = grader_version()
        pinned["scores"][profile] = scores
        PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n")
        return
    before = pinned["scores"].get(profile)
    assert before is not None, f"no pinned scores for {profile}: run with GRADER_UPDATE_GOLDEN=1"
    if before == scores:
        return
    moved = sorted(c for c in set(before) | set(scores) if before.get(c) != scores.get(c))
    version = grader_version()
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert version != pinned["version"] and re.search(rf"^## {re.escape(version)}\b", changelog, re.M), (
        f"{profile}: the same submission, seed and rubric now score differently on {len(moved)} "
        f"checks ({', '.join(moved[:5])}): a course that upgrades the grader between two gradings "
        f"would see grades change. If that is intended, bump grader.__version__, say "
        f"why under '## <version>' in CHANGELOG.md, then re-pin with GRADER_UPDATE_GOLDEN=1")
