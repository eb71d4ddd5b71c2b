"""Shared by the install tests: the submissions they grade and the environments they make."""

from __future__ import annotations

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
    """Every file of grader/, reference/, rubrics/ and student_template/, as the wheel names it."""
    expected = set()
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
