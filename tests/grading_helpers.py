"""Shared helpers of the tests that grade whole submissions.

`grader.runner.grade` calls pytest.main in-process, so it never runs inside the
test session itself: `grade_in_subprocesses` hands jobs to `tests/grade_many.py`
in one subprocess per core and returns each job's `GradingResult.to_dict()`.
Submissions are the reference with text edits (`make_submission`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader.sandbox import hardening, procs

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
MODULES = ("layers.py", "losses.py", "optim.py", "network.py")
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"
GRADE_MANY = Path(__file__).resolve().parent / "grade_many.py"

Edits = dict[str, list[tuple[str, str]]]


def make_submission(dest: Path, edits: Edits | None = None) -> Path:
    """Copy reference/*.py into `dest` and apply (old, new) edits; each old must occur exactly once."""
    dest.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        text = (REFERENCE / module).read_text()
        for old, new in (edits or {}).get(module, []):
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{dest.name}/{module}: {old!r} occurs {count} times, expected once")
            text = text.replace(old, new)
        (dest / module).write_text(text)
    return dest


def job(key: str, submission: Path, *, rubric: str = "default", cost: float = 1.0,
        self_check: bool = False, **overrides: Any) -> dict[str, Any]:
    """One grading job: `overrides` go to `Rubric.with_overrides` (e.g. include_tags=[...]);
    `self_check`: the rubric held to the self-check's budget first, as `grader check` grades."""
    return {"key": key, "dir": str(submission), "rubric": rubric, "overrides": overrides, "cost": cost,
            "self_check": self_check}


def grade_in_subprocesses(jobs: list[dict[str, Any]], workdir: Path, processes: int = 2,
                          timeout_s: float = 900) -> dict[str, dict[str, Any]]:
    """Grade every job; returns key -> GradingResult.to_dict() (plus "seconds", or "error")."""
    chunks: list[list[dict[str, Any]]] = [[] for _ in range(processes)]
    loads = [0.0] * processes
    for item in sorted(jobs, key=lambda j: -j["cost"]):  # balance the cores by cost
        i = loads.index(min(loads))
        chunks[i].append(item)
        loads[i] += item["cost"]

    def run(i: int) -> dict[str, dict[str, Any]]:
        jobs_file, out_file = workdir / f"jobs{i}.json", workdir / f"results{i}.json"
        jobs_file.write_text(json.dumps(chunks[i]))
        proc = subprocess.run([sys.executable, str(GRADE_MANY), str(jobs_file), str(out_file)],
                              capture_output=True, text=True, timeout=timeout_s, cwd=REPO)
        if proc.returncode != 0 or not out_file.exists():
            raise RuntimeError(f"grading subprocess {i} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return json.loads(out_file.read_text())

    merged: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(processes) as pool:
        for part in pool.map(run, [i for i in range(processes) if chunks[i]]):
            merged.update(part)
    return merged


def failures(result: dict[str, Any]) -> dict[str, list[str]]:
    """check name -> diagnosis ids, for every check that did not pass."""
    return {c["name"]: [d["id"] for d in c["diagnoses"]] for c in result["checks"]
            if c["status"] != "passed"}


def diagnosis_ids(result: dict[str, Any]) -> set[str]:
    return {i for ids in failures(result).values() for i in ids}


def describe(result: dict[str, Any]) -> str:
    """The failed checks of a result, one line each, for assertion messages."""
    lines = [f"score {result.get('score')}/{result.get('max_score')} {result.get('error', '')[-2000:]}"]
    for c in result.get("checks", []):
        if c["status"] != "passed":
            ids = ",".join(d["id"] for d in c["diagnoses"])
            lines.append(f"  {c['status']} {c['name']} {c['tags']} [{ids}] {c['message'][:300]}")
    return "\n".join(lines)


def assert_caught(result: dict[str, Any], *, tag: str, diagnosis: str, bug: str) -> None:
    """A buggy submission lost points on a check of component `tag` diagnosed `diagnosis`,
    and no check hit a grader error."""
    assert not result["error"], describe(result)
    assert result["score"] < result["max_score"], f"{bug}: no points lost\n{describe(result)}"
    hits = [c for c in result["checks"] if c["status"] == "failed" and c["tags"][:1] == [tag]
            and diagnosis in [d["id"] for d in c["diagnoses"]]]
    assert hits, f"{bug}: expected a failed '{tag}' check diagnosed '{diagnosis}'\n{describe(result)}"
    assert all(c["status"] != "error" for c in result["checks"]), describe(result)


def assert_reported_without_points(result: dict, *, tag: str, diagnosis: str, bug: str) -> None:
    """A bug the course's own tests never look for: a failed beyond-course check of `tag`
    diagnosed `diagnosis` names it, and it costs nothing (issue 20: points for what the course
    asks)."""
    hits = [c for c in result["checks"] if c["status"] == "failed" and c["tags"][:1] == [tag]
            and diagnosis in [d["id"] for d in c["diagnoses"]]]
    assert hits and all(c["beyond_course"] for c in hits), f"{bug}\n{describe(result)}"
    assert result["score"] == result["max_score"] > 0, f"{bug}: beyond-course cost points\n{describe(result)}"


def assert_full_marks(result: dict[str, Any], style: str = "") -> None:
    assert not result["error"], describe(result)
    # A check the graded release does not ask for ("not-assigned") is neither won nor lost.
    assert all(c["status"] in ("passed", "not-assigned") for c in result["checks"]), \
        f"{style}\n{describe(result)}"
    assert result["score"] == result["max_score"] > 0



# -- golden diagnoses: what each catalog mutant is caught as, recorded once ----------
# A faster grader (fewer examples, batched calls, two workers) must not change what
# a mutant is caught as. tests/golden/<catalog>.json records, per mutant, every
# (component, diagnosis id) pair of its failed checks; the catalog tests compare
# the results they already graded with it. After an intended change in what a
# check diagnoses, rewrite the file with GRADER_UPDATE_GOLDEN=1 and review the diff.
GOLDEN = Path(__file__).resolve().parent / "golden"


def caught_as(result: dict[str, Any]) -> list[str]:
    """Sorted "component:diagnosis" pairs of every check that did not pass ("component:error"
    for a check that hit a grader error), so a mutant's catch is one comparable list."""
    pairs = set()
    for c in result["checks"]:
        if c["status"] == "passed":
            continue
        tag = (c["tags"] or ["?"])[0]
        if c["status"] == "error":
            pairs.add(f"{tag}:error")
        pairs.update(f"{tag}:{d['id']}" for d in c["diagnoses"])
    return sorted(pairs)


def assert_matches_golden(catalog_name: str, graded: dict[str, dict[str, Any]], names: list[str]) -> None:
    """Every named result is caught exactly as tests/golden/<catalog_name>.json recorded."""
    path = GOLDEN / f"{catalog_name}.json"
    now = {name: caught_as(graded[name]) for name in names}
    if os.environ.get("GRADER_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    golden = json.loads(path.read_text())
    assert sorted(golden) == sorted(now), f"mutants added or removed: rerun with GRADER_UPDATE_GOLDEN=1"
    changed = {name: {"golden": golden[name], "now": now[name]} for name in names if golden[name] != now[name]}
    assert not changed, f"caught differently than recorded in {path.name}:\n" + json.dumps(changed, indent=1)

# -- processes that outlive a grading run ------------------------------------------
# The test process becomes a child subreaper, so whatever a killed or finished
# grader leaves behind is re-parented here, where the test can see it.

def set_child_subreaper(on: bool) -> bool:
    return hardening.prctl(hardening.PR_SET_CHILD_SUBREAPER, 1 if on else 0) is None


def reap_orphans() -> list[int]:
    """Reap our exited children; the pids of those still alive."""
    procs.reap_children()
    me = os.getpid()
    return sorted(pid for pid, (ppid, _) in procs.all_processes().items()
                  if ppid == me and not procs.is_zombie(pid))


def gradescope_tests_by_check(results_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Gradescope's tests keyed by check id (`extra_data.check`); their `name` is the title."""
    return {t["extra_data"]["check"]: t for t in results_json["tests"]}


# -- a profile's checks, as a grading run collects them ------------------------------------
class _Collector:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self.items = list(items)


def collect_checks(profile_name: str) -> list[Any]:
    """The pytest items of the profile's check folder, collected with a grading run's arguments."""
    import pytest

    from grader.checks.session import checks_args
    from grader.profiles import get_profile

    collector = _Collector()
    code = pytest.main([*checks_args(get_profile(profile_name).checks_dir), "--collect-only"],
                       plugins=[collector])
    assert code == pytest.ExitCode.OK, f"collecting the {profile_name} checks failed ({code})"
    return collector.items
