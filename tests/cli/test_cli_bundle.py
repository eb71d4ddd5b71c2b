"""`grader bundle gradescope`: the zip Gradescope builds its autograder image from."""

from __future__ import annotations

import json
import os
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
                     "grader-src/rubrics/selfcheck.toml", "grader-src/student_template/layers.py"):
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
    assert "grader run /autograder/submission" in text
    assert "--rubric /autograder/source/rubric.toml" in text
    assert "--format json --output \"$RESULTS\"" in text
    assert "RESULTS=/autograder/results/results.json" in text


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
    assert "--data /autograder/source/data/mnist.npz" in zf.read("run_autograder").decode()


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


@pytest.mark.slow
def test_run_autograder_grades_the_reference(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "ag"
    script = _fake_autograder(bundle, root)
    (root / "submission").rmdir()
    import shutil

    shutil.copytree(REPO / "reference", root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([str(script)], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    from grader.reports import validate_gradescope

    results = json.loads((root / "results" / "results.json").read_text())
    assert validate_gradescope(results) == []
    assert results["score"] == pytest.approx(100.0), results.get("output")


@pytest.mark.slow
def test_the_source_copy_builds_a_wheel(bundle: Path, tmp_path: Path) -> None:
    """What setup.sh pip-installs must build (as there: with build isolation)."""
    zipfile.ZipFile(bundle).extractall(tmp_path / "src")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "-w", str(tmp_path / "wheels"), str(tmp_path / "src" / "grader-src")],
                          capture_output=True, text=True, timeout=300)
    if done.returncode and "No matching distribution found for setuptools" in done.stdout + done.stderr:
        pytest.skip("no package index to fetch setuptools from")
    assert done.returncode == 0, done.stdout + done.stderr
    wheel = next((tmp_path / "wheels").glob("nn_grader-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/cli.py" in names and "reference/layers.py" in names
