"""What a course installs is what is tested: the built wheel, and the Gradescope bundle.

Everything here runs the grader as a course gets it, never the editable checkout the rest
of the suite imports: a wheel built from this tree and installed (not editable) into a
fresh virtual environment, and each profile's Gradescope zip put through its own
`setup.sh` and `run_autograder` in a scratch folder laid out like Gradescope's.

The environments see the machine's site-packages for the dependencies (no download), and
each test first proves that `grader` itself is imported from the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.handbook import DOCUMENTS
from install_helpers import (BUGGY, PROFILES, REPO, SOLUTIONS, buggy_submission, check_pinned_scores,
                             diagnosed, expected_wheel_files, make_venv, readme_workflow_commands,
                             venv_env)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this tree, built once as pip builds it for a course (build isolation)."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return next(out.glob("nn_grader-*.whl"))


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (not editable); its bin/ folder."""
    venv = make_venv(tmp_path_factory.mktemp("venv") / "venv")
    done = subprocess.run([str(venv / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                          capture_output=True, text=True, env=venv_env(), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def test_the_wheel_carries_every_module_and_data_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(expected_wheel_files() - names)
    assert not missing, f"missing from the wheel (packages are discovered in setup.py): {missing}"
    # Spot checks of what broke before: a profile's checks folder and the pytest settings.
    assert "grader/profiles/cs231n_fc/checks/__init__.py" in names
    assert "grader/profiles/default/checks/test_mlp.py" in names
    assert "grader/checks/pytest.ini" in names and "grader/rubrics/cs231n-fc.toml" in names


def test_the_documents_reports_point_to_are_printed_by_the_installed_grader(installed: Path, tmp_path: Path):
    # From another folder, so that nothing of this checkout's docs/ can be read instead.
    for name, heading in (("diagnoses", "# What a report's tags and diagnosis ids mean"),
                          ("student-api", "# The student contract")):
        done = subprocess.run([str(installed / "grader"), "docs", name], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path, env=venv_env())
        assert done.returncode == 0 and done.stdout.startswith(heading), done.stdout[:200] + done.stderr
        assert done.stdout == (REPO / "docs" / DOCUMENTS[name][0]).read_text()


def test_the_installed_grader_is_the_wheel_and_lists_every_profile(installed: Path):
    where = subprocess.run([str(installed / "python"), "-c",
                            "import grader, reference; print(grader.__file__); print(reference.__file__)"],
                           capture_output=True, text=True, cwd="/", env=venv_env(), timeout=120)
    assert where.returncode == 0, where.stderr
    site = str(installed.parent / "lib")
    assert all(line.startswith(site) for line in where.stdout.split()), where.stdout
    listed = subprocess.run([str(installed / "grader"), "profiles"], capture_output=True, text=True,
                            cwd="/", env=venv_env(), timeout=120)
    assert listed.returncode == 0, listed.stderr
    for profile in PROFILES:
        assert profile in listed.stdout
    import grader

    version = subprocess.run([str(installed / "grader"), "--version"], capture_output=True, text=True,
                             cwd="/", env=venv_env(), timeout=120)
    assert grader.__version__ in version.stdout


@pytest.fixture(scope="module")
def graded_by_the_wheel(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each profile's buggy submission graded by the installed wheel, and the README's GitHub
    Actions steps run with it: all at once (they are subprocesses; CI has two cores)."""
    def grade(profile: str) -> dict:
        where = tmp_path_factory.mktemp(f"wheel-{profile}")
        submission = buggy_submission(profile, where / "student")
        report = where / "report.json"
        done = subprocess.run([str(installed / "grader"), "run", str(submission), "--profile", profile,
                               "--format", "json", "--output", str(report)],
                              capture_output=True, text=True, cwd=where, env=venv_env(), timeout=900)
        assert done.returncode == 0, done.stderr
        return json.loads(report.read_text())

    def recipe() -> dict:
        where = tmp_path_factory.mktemp("github-actions")
        repo = buggy_submission("default", where / "student-repo")
        summary = where / "summary.md"
        env = venv_env(GITHUB_STEP_SUMMARY=str(summary), PATH=f"{installed}:{os.environ['PATH']}")
        codes = [subprocess.run(["bash", "-c", step], cwd=repo, env=env, capture_output=True, text=True,
                                timeout=900).returncode for step in readme_workflow_commands()]
        return {"codes": codes, "summary": summary.read_text(),
                "junit": (repo / "grader-junit.xml").read_text()}

    with ThreadPoolExecutor(2) as pool:
        jobs = {profile: pool.submit(grade, profile) for profile in PROFILES}
        jobs["recipe"] = pool.submit(recipe)
        return {name: job.result() for name, job in jobs.items()}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_installed_grader_names_a_bug_in_each_profile(profile: str, graded_by_the_wheel: dict[str, Any]):
    results = graded_by_the_wheel[profile]
    assert results["score"] < results["extra_data"]["max_score"]
    assert diagnosed(results, *BUGGY[profile][1:]), [t["name"] for t in results["tests"] if t["score"] < t["max_score"]]
    # The smallest failing input Hypothesis found reaches the report (any Hypothesis version).
    assert any("Smallest failing input found" in t["output"] for t in results["tests"]
               if t["status"] == "failed")
    check_pinned_scores(profile, results)


def test_the_readme_github_actions_recipe_runs_with_the_installed_grader(graded_by_the_wheel: dict[str, Any]):
    """The README's workflow steps, run as GitHub would (less the Python set-up and the pip
    install, which the wheel stands in for) in a student's repository with one bug."""
    steps = readme_workflow_commands()
    assert any("--format markdown" in s for s in steps) and any("--format junit" in s for s in steps)
    ran = graded_by_the_wheel["recipe"]
    assert all(code in (0, 1) for code in ran["codes"]), ran["codes"]  # graded: 1 only below --fail-under
    assert "bias-gradient-not-summed" in ran["summary"] and "Smallest failing input found" in ran["summary"]
    assert "<failure" in ran["junit"] and "<testsuite" in ran["junit"]


def _bundle_cycle(profile: str, where: Path) -> dict[str, Any]:
    """`profile`'s Gradescope zip through setup.sh, then run_autograder on a buggy submission
    (and, for cs231n-fc, on the correct one), in a scratch root laid out like Gradescope's."""
    from grader.bundle import build_gradescope_bundle
    from grader.profiles import get_profile
    from grader.rubric import load_rubric

    root = where / "autograder"
    bundle = build_gradescope_bundle(where / "autograder.zip", load_rubric(get_profile(profile).rubric))
    zipfile.ZipFile(bundle.path).extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    make_venv(root / "venv")  # setup.sh keeps a working venv: this one sees site-packages
    env = venv_env(GRADER_AUTOGRADER_ROOT=str(root))
    out: dict[str, Any] = {"root": root}
    out["setup"] = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                                  env=env, cwd=root, timeout=900)
    out["solution_left"] = (root / "source" / "solution").exists()
    out["imported"] = subprocess.run([str(root / "venv" / "bin" / "python"), "-c",
                                      "import grader; print(grader.__file__)"],
                                     capture_output=True, text=True, cwd="/", env=venv_env(), timeout=120).stdout
    submissions = {"buggy": lambda dest: buggy_submission(profile, dest)}
    if profile == "cs231n-fc":  # the profile whose bundle once gave every student 0
        submissions["solution"] = lambda dest: shutil.copytree(SOLUTIONS[profile], dest,
                                                               ignore=shutil.ignore_patterns("__pycache__"))
    for name, make in submissions.items():
        shutil.rmtree(root / "submission", ignore_errors=True)
        make(root / "submission")
        graded = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                                env=env, cwd=root, timeout=900)
        results = root / "results" / "results.json"
        out[name] = {"code": graded.returncode, "stderr": graded.stderr,
                     "results": json.loads(results.read_text()) if results.is_file() else None}
    return out


def _wrong_solution_cycle(where: Path) -> subprocess.CompletedProcess[str]:
    """A bundle whose 'correct solution' loses points, through setup.sh."""
    from grader.bundle import build_gradescope_bundle
    from grader.rubric import load_rubric

    root = where / "autograder"
    wrong = buggy_submission("default", where / "not-quite")
    fast = load_rubric(REPO / "tests" / "cli" / "submissions" / "fast.toml")
    bundle = build_gradescope_bundle(where / "autograder.zip", fast, solution=wrong)
    zipfile.ZipFile(bundle.path).extractall(root / "source")
    make_venv(root / "venv")
    return subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                          env=venv_env(GRADER_AUTOGRADER_ROOT=str(root)), cwd=root, timeout=900)


@pytest.fixture(scope="module")
def bundle_cycles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with ThreadPoolExecutor(2) as pool:
        jobs = {p: pool.submit(_bundle_cycle, p, tmp_path_factory.mktemp(f"bundle-{p}")) for p in PROFILES}
        jobs["wrong-solution"] = pool.submit(_wrong_solution_cycle, tmp_path_factory.mktemp("bundle-wrong"))
        return {name: job.result() for name, job in jobs.items()}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_gradescope_bundle_installs_smoke_tests_and_grades(profile: str, bundle_cycles: dict[str, Any]):
    """setup.sh installs the zip's source (a regular install), proves a correct solution gets
    full marks, and run_autograder then grades a buggy submission into a valid results.json."""
    from grader.reports import validate_gradescope

    cycle = bundle_cycles[profile]
    setup = cycle["setup"]
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "the correct solution got full marks" in setup.stdout
    assert not cycle["solution_left"], "the solution must not stay readable"
    assert cycle["imported"].startswith(str(cycle["root"] / "venv" / "lib")), cycle["imported"]
    buggy = cycle["buggy"]
    assert buggy["code"] == 0, buggy["stderr"][-3000:]
    results = buggy["results"]
    assert validate_gradescope(results) == []
    assert 0 < results["score"] < results["extra_data"]["max_score"], results.get("output")
    assert diagnosed(results, *BUGGY[profile][1:])
    if "solution" in cycle:
        results = cycle["solution"]["results"]
        assert validate_gradescope(results) == []
        assert results["score"] == pytest.approx(results["extra_data"]["max_score"]), results["output"]


def test_a_bundle_whose_solution_loses_points_fails_setup(bundle_cycles: dict[str, Any]):
    """The smoke test is real: a 'correct solution' that loses points stops the image build."""
    setup = bundle_cycles["wrong-solution"]
    assert setup.returncode != 0
    assert "did not get full marks (grader exit 1" in setup.stderr
