"""The first run: a submission where nothing is implemented yet gets one short report.

The untouched template fails every check with `missing-api`; a report of a hundred
identical blocks tells a student nothing. Instead the run records (artifact
"first_run") which files still hold stubs, in the handout's order (the profile's
modules, each file's definitions in source order), and every report writer shows
what to implement first and what the checks will look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from grader.checks.stubs import stubs_in_order
from grader.profiles.base import module_file
from grader.results import CheckResult

#: Diagnoses that mean "not there yet" rather than "wrong".
NOT_YET = frozenset({"missing-api"})


def nothing_implemented(checks: Sequence[CheckResult]) -> bool:
    """Every graded check that did not pass failed only because something is missing
    (`missing-api`), and none but the import and API checks passed."""
    graded = [c for c in checks if c.status != "not-assigned" and not c.beyond_course]
    failed = [c for c in graded if not c.passed]
    if not failed:
        return False
    if any(c.status == "error" or not c.diagnoses or any(d.id not in NOT_YET for d in c.diagnoses)
           for c in failed):
        return False
    return not any(c.passed and "api" not in c.tags for c in graded)


def first_steps(submission: Path, modules: Sequence[str],
                checks: Sequence[CheckResult] = ()) -> list[dict[str, Any]]:
    """Per file, in the handout's order, the functions and methods still to write:
    [{"file": "layers.py", "todo": ["Linear.__init__", "Linear.forward", ...]}, ...]. A missing
    file is listed (empty `todo`, "missing") when a failed check says it is missing: a module
    the graded release does not assign (its checks not run) is left out."""
    said = " ".join(c.message for c in checks if not c.passed)
    steps = []
    for module in modules:
        path = Path(submission) / module_file(module)
        if not path.is_file():
            if module_file(module) in said:
                steps.append({"file": module_file(module), "todo": [], "missing": True})
            continue
        # A helper of the student's own (`_helper`) is not what the handout asks for first.
        todo = [name for name in stubs_in_order(path) if not name.split(".")[-1].startswith("_")
                or name.endswith(".__init__")]
        if todo:
            steps.append({"file": module_file(module), "todo": todo})
    return steps


def first_run_artifact(submission: Path, modules: Sequence[str],
                       checks: Sequence[CheckResult]) -> dict[str, Any] | None:
    """The "first_run" artifact for a submission where nothing is implemented, else None."""
    if not nothing_implemented(checks):
        return None
    return {"steps": first_steps(submission, modules, checks)}
