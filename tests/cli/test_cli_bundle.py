"""`grader bundle gradescope`: the zip Gradescope builds its autograder image from."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.bundle import BundleError, build_gradescope_bundle
from grader.cli import cli
from grader.rubric import load_rubric

from cli_helpers import REPO, SUBMISSIONS


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = CliRunner().invoke(cli, ["bundle", "gradescope", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_zip_has_the_gradescope_layout(bundle: Path) -> None:
    names = set(zipfile.ZipFile(bundle).namelist())
    for required in ("setup.sh", "run_autograder", "rubric.toml", "grader-src/pyproject.toml",
                     "grader-src/README.md", "grader-src/grader/cli.py", "grader-src/grader/__init__.py",
                     "grader-src/reference/layers.py", "grader-src/rubrics/default.toml",
                     "grader-src/rubrics/selfcheck.toml", "grader-src/student_template/layers.py",
                     "grader-src/docs/student-api.md", "grader-src/docs/courses/mytorch-hw1p1.md"):
        assert required in names, required
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or ".egg-info" in n]
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]
    assert not [n for n in names if n.startswith("/") or ".." in n.split("/")]


def test_scripts_are_executable_with_shebangs(bundle: Path) -> None:
    zf = zipfile.ZipFile(bundle)
    for name in ("setup.sh", "run_autograder"):
        info = zf.getinfo(name)
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, oct(mode)
        text = zf.read(name).decode()
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "\r" not in text


def test_scripts_are_valid_bash(bundle: Path, tmp_path: Path) -> None:
    zf = zipfile.ZipFile(bundle)
    for name in ("setup.sh", "run_autograder"):
        script = tmp_path / name
        script.write_bytes(zf.read(name))
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_run_autograder_grades_the_submission_with_the_rubric(bundle: Path) -> None:
    text = zipfile.ZipFile(bundle).read("run_autograder").decode()
    assert 'AG="${GRADER_AUTOGRADER_ROOT:-/autograder}"' in text and 'SRC="$AG/source"' in text
    assert '"$VENV/bin/grader" run "$AG/submission"' in text
    assert '--rubric "$SRC/rubric.toml"' in text
    assert "--format json --output \"$RESULTS\"" in text
    assert 'RESULTS="$AG/results/results.json"' in text


def test_setup_installs_the_source_copy_and_caches_data(bundle: Path) -> None:
    text = zipfile.ZipFile(bundle).read("setup.sh").decode()
    assert 'pip install "$SRC/grader-src"' in text
    assert "grader\" data cache-embedded" in text
    assert "sys.version_info >= (3, 11)" in text and "apt-get install -y python3.11" in text


def test_rubric_is_shipped_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    build_gradescope_bundle(out, load_rubric(SUBMISSIONS / "fast.toml"))
    assert zipfile.ZipFile(out).read("rubric.toml") == (SUBMISSIONS / "fast.toml").read_bytes()


def test_bundle_is_deterministic(tmp_path: Path) -> None:
    rubric = load_rubric(None)
    build_gradescope_bundle(tmp_path / "1.zip", rubric)
    build_gradescope_bundle(tmp_path / "2.zip", rubric)
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()


def test_local_dataset_path_must_be_shipped(tmp_path: Path) -> None:
    data = tmp_path / "mnist.npz"
    data.write_bytes(b"fake")
    rubric_file = tmp_path / "r.toml"
    rubric_file.write_text(f'[training]\ndataset = "{data}"\n')
    with pytest.raises(BundleError, match="is a path on this machine, absent on Gradescope; pass --data"):
        build_gradescope_bundle(tmp_path / "x.zip", load_rubric(rubric_file))
    info = build_gradescope_bundle(tmp_path / "x.zip", load_rubric(rubric_file), data=data)
    zf = zipfile.ZipFile(info.path)
    assert zf.read("data/mnist.npz") == b"fake"
    assert '--data "$SRC/data/"mnist.npz' in zf.read("run_autograder").decode()


def test_bundle_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["bundle", "gradescope", "--out", str(tmp_path / "a.zip"),
                                      "--data", str(tmp_path / "none.npz")])
    assert result.exit_code == 2 and "--data" in result.stderr and "no such file" in result.stderr


def _fake_autograder(bundle: Path, root: Path) -> Path:
    """Unpack the bundle as Gradescope would, under `root` instead of /autograder.

    The venv is this test's interpreter: /autograder/venv/bin/{grader,python}.
    """
    source = root / "source"
    zipfile.ZipFile(bundle).extractall(source)
    bin_dir = root / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "grader").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    (bin_dir / "grader").chmod(0o755)
    script = root / "run_autograder"
    script.write_text((source / "run_autograder").read_text().replace("/autograder", str(root)))
    script.chmod(0o755)
    (root / "submission").mkdir()
    return script


def test_run_autograder_writes_results_even_for_an_empty_submission(bundle: Path, tmp_path: Path) -> None:
    script = _fake_autograder(bundle, tmp_path / "ag")
    done = subprocess.run([str(script)], cwd=tmp_path / "ag", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "ag" / "results" / "results.json").read_text())
    from grader.reports import validate_gradescope

    assert validate_gradescope(results) == []
    assert results["score"] == 0.0
    assert results["output"].startswith("Your submission could not be graded:")
    assert "layers.py" in results["output"]
    # The student uploaded files on a web page: no shell command to run on the grading machine.
    assert "grader init" not in results["output"] and "upload the files" in results["output"]


def test_the_smoke_test_solution_is_shipped_and_can_be_the_instructors(tmp_path: Path) -> None:
    mine = tmp_path / "my-solution"
    shutil.copytree(REPO / "reference", mine, ignore=shutil.ignore_patterns("__pycache__"))
    (mine / "NOTES.txt").write_text("the instructor's own")
    result = CliRunner().invoke(cli, ["bundle", "gradescope", "--out", str(tmp_path / "a.zip"),
                                      "--solution", str(mine)])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert "solution/NOTES.txt" in names and "solution/layers.py" in names
    missing = CliRunner().invoke(cli, ["bundle", "gradescope", "--out", str(tmp_path / "b.zip"),
                                       "--solution", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "--solution" in missing.stderr and "Traceback" not in missing.output


def test_a_profile_without_a_solution_asks_for_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import grader.bundle

    profile = dataclasses.replace(grader.bundle.get_profile("default"), solution=None)
    monkeypatch.setattr(grader.bundle, "get_profile", lambda name: profile)
    with pytest.raises(BundleError, match="pass --solution DIR"):
        build_gradescope_bundle(tmp_path / "x.zip", load_rubric(None))


def test_run_autograder_refuses_another_profiles_layout_with_the_reason(bundle: Path, tmp_path: Path) -> None:
    """A CS231n folder under the default bundle: 0 with the profile named, not a near-zero grade."""
    root = tmp_path / "ag"
    script = _fake_autograder(bundle, root)
    (root / "submission").rmdir()
    shutil.copytree(REPO / "tests" / "profiles" / "cs231n" / "solution", root / "submission",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([str(script)], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0.0 and results["tests"] == []
    assert results["output"].startswith("Your submission could not be graded:")
    assert "cs231n-fc" in results["output"]
