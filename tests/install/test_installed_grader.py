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
from pathlib import Path

import pytest

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
    assert "grader/checks/pytest.ini" in names and "grader/rubrics/cs231n-fc.toml" in names


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


@pytest.mark.parametrize("profile", PROFILES)
def test_the_installed_grader_names_a_bug_in_each_profile(profile: str, installed: Path, tmp_path: Path):
    submission = buggy_submission(profile, tmp_path / "student")
    report = tmp_path / "report.json"
    done = subprocess.run([str(installed / "grader"), "run", str(submission), "--profile", profile,
                           "--format", "json", "--output", str(report)],
                          capture_output=True, text=True, cwd=tmp_path, env=venv_env(), timeout=900)
    assert done.returncode == 0, done.stderr
    results = json.loads(report.read_text())
    assert results["score"] < results["extra_data"]["max_score"]
    assert diagnosed(results, *BUGGY[profile][1:]), [t["name"] for t in results["tests"] if t["score"] < t["max_score"]]
    # The smallest failing input Hypothesis found reaches the report (any Hypothesis version).
    assert any("Smallest failing input found" in t["output"] for t in results["tests"]
               if t["status"] == "failed")
    check_pinned_scores(profile, results)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_gradescope_bundle_installs_smoke_tests_and_grades(profile: str, tmp_path: Path):
    """setup.sh installs the zip's source (a regular install), proves a correct solution gets
    full marks, and run_autograder then grades a buggy submission into a valid results.json."""
    from grader.bundle import build_gradescope_bundle
    from grader.profiles import get_profile
    from grader.reports import validate_gradescope
    from grader.rubric import load_rubric

    root = tmp_path / "autograder"
    bundle = build_gradescope_bundle(tmp_path / "autograder.zip", load_rubric(get_profile(profile).rubric))
    zipfile.ZipFile(bundle.path).extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    make_venv(root / "venv")  # setup.sh keeps a working venv: this one sees site-packages
    env = venv_env(GRADER_AUTOGRADER_ROOT=str(root))

    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                           env=env, cwd=root, timeout=900)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "the correct solution got full marks" in setup.stdout
    assert not (root / "source" / "solution").exists(), "the solution must not stay readable"
    where = subprocess.run([str(root / "venv" / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, cwd="/", env=venv_env(), timeout=120)
    assert where.stdout.startswith(str(root / "venv" / "lib")), where.stdout

    buggy_submission(profile, root / "submission")
    graded = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                            env=env, cwd=root, timeout=900)
    assert graded.returncode == 0, graded.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert validate_gradescope(results) == []
    assert 0 < results["score"] < results["extra_data"]["max_score"], results.get("output")
    assert diagnosed(results, *BUGGY[profile][1:])

    if profile == "cs231n-fc":  # the profile whose bundle once gave every student 0
        shutil.rmtree(root / "submission")
        shutil.copytree(SOLUTIONS[profile], root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, env=env, cwd=root,
                       timeout=900, check=True)
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == pytest.approx(results["extra_data"]["max_score"]), results["output"]


def test_a_bundle_whose_solution_loses_points_fails_setup(tmp_path: Path):
    """The smoke test is real: a 'correct solution' that loses points stops the image build."""
    from grader.bundle import build_gradescope_bundle
    from grader.rubric import load_rubric

    root = tmp_path / "autograder"
    wrong = buggy_submission("default", tmp_path / "not-quite")
    fast = load_rubric(REPO / "tests" / "cli" / "submissions" / "fast.toml")
    bundle = build_gradescope_bundle(tmp_path / "autograder.zip", fast, solution=wrong)
    zipfile.ZipFile(bundle.path).extractall(root / "source")
    make_venv(root / "venv")
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                           env=venv_env(GRADER_AUTOGRADER_ROOT=str(root)), cwd=root, timeout=900)
    assert setup.returncode != 0
    assert "did not get full marks (grader exit 1" in setup.stderr


def test_the_readme_github_actions_recipe_runs_with_the_installed_grader(installed: Path, tmp_path: Path):
    """The README's workflow steps, run as GitHub would (less the Python set-up and the pip
    install, which the wheel stands in for) in a student's repository with one bug."""
    steps = readme_workflow_commands()
    assert any("--format markdown" in s for s in steps) and any("--format junit" in s for s in steps)
    repo = buggy_submission("default", tmp_path / "student-repo")
    summary = tmp_path / "summary.md"
    env = venv_env(GITHUB_STEP_SUMMARY=str(summary), PATH=f"{installed}:{os.environ['PATH']}")
    codes = [subprocess.run(["bash", "-c", step], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=900).returncode for step in steps]
    assert all(code in (0, 1) for code in codes), codes  # graded: 1 only below --fail-under
    text = summary.read_text()
    assert "bias-gradient-not-summed" in text and "Smallest failing input found" in text
    junit = (repo / "grader-junit.xml").read_text()
    assert "<failure" in junit and "<testsuite" in junit
