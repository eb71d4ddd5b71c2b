"""The first run: a submission where nothing is implemented yet gets one short report.

The untouched template fails every check with `missing-api`; a report of a hundred
identical blocks tells a student nothing. Instead the run records (artifact
"first_run") which files still hold stubs, in the handout's order (the profile's
modules, each file's definitions in source order), and every report writer shows
what to implement first and what the checks will look at.

A course's handout (MyTorch, CS231n) writes its stubs so that they run: `return
NotImplemented`, `out = None` and a `pass`. Its checks then fail with shape errors rather
than `missing-api`, so for a profile with a `handout_order` the source decides
(grader/coursestubs.py): when nothing the handout asks for is written yet, the artifact
lists what is still a stub, in that order, with "form": "handout". One function written is
enough for the usual report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from grader.checks.stubs import stubs_in_order
from grader.coursestubs import definitions, is_course_stub
from grader.profiles.base import HandoutStep, module_file
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


def handout_steps(submission: Path, order: Sequence[HandoutStep]) -> list[dict[str, Any]] | None:
    """Per step of the handout, what is still its stub or not there yet:
    [{"file": "mytorch/nn/linear.py", "todo": ["Linear.__init__", ...]}, ...]; a missing file is
    listed as missing. None when the student has started (something the handout asks for,
    other than a constructor or a part some handouts give, is written), when a file does not
    parse (its import check says so) or when nothing is left to write."""
    steps: list[dict[str, Any]] = []
    for step in order:
        file = module_file(step.module)
        path = Path(submission) / file
        if not path.is_file():
            steps.append({"file": file, "todo": [], "missing": True})
            continue
        defined = definitions(path)
        if defined is None:
            return None
        todo = []
        for name in step.names:
            node = defined.get(name)
            if node is None or not hasattr(node, "args"):   # not defined yet (a class's methods)
                todo.append(name)
            elif is_course_stub(node, step.products.get(name)):
                todo.append(name)
            elif name not in step.maybe_given and not name.endswith(".__init__"):
                return None   # written: the student has started
        if todo:
            steps.append({"file": file, "todo": todo})
    if not any(step.get("todo") for step in steps):
        return None
    return steps


def first_run_artifact(submission: Path, modules: Sequence[str], checks: Sequence[CheckResult],
                       order: Sequence[HandoutStep] | None = None) -> dict[str, Any] | None:
    """The "first_run" artifact for a submission where nothing is implemented, else None.
    `order`: the profile's handout steps for the release graded (Profile.handout_order)."""
    if nothing_implemented(checks):
        return {"steps": first_steps(submission, modules, checks)}
    if order is None or not any(not c.passed for c in checks if c.status != "not-assigned") \
            or any(c.status == "error" for c in checks):
        return None
    steps = handout_steps(submission, order)
    return {"steps": steps, "form": "handout"} if steps is not None else None
