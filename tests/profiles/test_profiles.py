"""The profile mechanism: registry, layout detection, vocabulary,
rubric selection and the CLI's --profile / `grader profiles`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from grading_helpers import REFERENCE

from grader.cli import cli
from grader.exitcodes import BAD_INPUT
from grader.profiles import PROFILE_NAMES, ProfileError, check_layout, get_profile
from grader.rubric import RubricError, load_rubric, loads_rubric


def test_unknown_profile_names_the_close_one():
    with pytest.raises(ProfileError, match="did you mean 'mytorch-hw1p1'"):
        get_profile("mytorch-hw1")


def test_every_profile_has_its_rubric_and_checks():
    for name in PROFILE_NAMES:
        profile = get_profile(name)
        assert profile.checks_dir.is_dir() and any(profile.checks_dir.glob("test_*.py"))
        assert load_rubric(profile.rubric).profile == name


def test_a_layout_for_another_profile_names_it(mytorch_solution: Path):
    with pytest.raises(ProfileError, match="--profile mytorch-hw1p1"):
        check_layout(mytorch_solution, get_profile("default"))
    with pytest.raises(ProfileError, match="--profile default"):
        check_layout(REFERENCE, get_profile("mytorch-hw1p1"))
    check_layout(mytorch_solution, get_profile("mytorch-hw1p1"))
    check_layout(REFERENCE, get_profile("default"))


def test_hints_speak_the_assignment_vocabulary():
    profile = get_profile("mytorch-hw1p1")
    assert profile.phrase("update W -= lr * dW and b -= lr * db in SGD(layers, lr)") == \
        "update W -= lr * dLdW and b -= lr * dLdb in SGD(model, lr)"
    assert profile.phrase("dWx and grad_outs stay") == "dWx and grad_outs stay"
    assert get_profile("default").phrase("dW") == "dW"


def test_rubric_profile_key():
    rubric = loads_rubric('profile = "mytorch-hw1p1"\n')
    assert rubric.profile == "mytorch-hw1p1"
    assert rubric.modules == get_profile("mytorch-hw1p1").modules
    assert "scipy" not in rubric.forbidden_imports and "torch" in rubric.forbidden_imports
    assert loads_rubric("").profile == "default"
    with pytest.raises(RubricError, match="profile"):
        loads_rubric('profile = "cs231"\n')
    with pytest.raises(RubricError, match="without '.py' or dots"):
        loads_rubric('modules = ["mytorch.nn.linear"]\n')


def test_rubric_checks_are_validated_against_the_profile_checks():
    loads_rubric('profile = "mytorch-hw1p1"\n[checks."test_batchnorm.py::test_eval_mode"]\npoints = 2\n')
    with pytest.raises(RubricError, match="test_eval_mode"):
        loads_rubric('profile = "mytorch-hw1p1"\n[checks."test_batchnorm.py::test_eval_mod"]\npoints = 2\n')


def test_cli_refuses_a_submission_laid_out_for_another_profile(mytorch_solution: Path):
    result = CliRunner().invoke(cli, ["run", str(mytorch_solution)])
    assert result.exit_code == BAD_INPUT
    assert "--profile mytorch-hw1p1" in result.output and len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(cli, ["run", str(REFERENCE), "--profile", "mytorch-hw1p1"])
    assert result.exit_code == BAD_INPUT and "--profile default" in result.output


def test_cli_profile_and_rubric_must_agree(mytorch_solution: Path):
    result = CliRunner().invoke(cli, ["run", str(mytorch_solution), "--profile", "mytorch-hw1p1",
                                      "--rubric", "default"])
    assert result.exit_code == BAD_INPUT and "grades profile default" in result.output


def test_cli_lists_the_profiles():
    result = CliRunner().invoke(cli, ["profiles"])
    assert result.exit_code == 0
    for name in PROFILE_NAMES:
        assert f"{name}: " in result.output
    assert "(out, in)" in result.output


def test_bundle_for_a_profile_ships_its_rubric(tmp_path: Path):
    import zipfile

    out = tmp_path / "autograder.zip"
    result = CliRunner().invoke(cli, ["bundle", "gradescope", "--profile", "mytorch-hw1p1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as bundle:
        assert 'profile = "mytorch-hw1p1"' in bundle.read("rubric.toml").decode()
        setup = bundle.read("setup.sh").decode()
        shipped = set(bundle.namelist())
    # The smoke test grades the course's own correct solution, shipped as solution/.
    assert "solution/mytorch/nn/linear.py" in shipped and "solution/layers.py" not in shipped
    assert 'run "$SRC/solution"' in setup and "--fail-under 100" in setup


# -- layouts recognised both ways ---------------------------------------------------------

_SOLUTIONS = {"default": REFERENCE,
              "mytorch-hw1p1": Path(__file__).resolve().parent / "mytorch" / "solution",
              "cs231n-fc": Path(__file__).resolve().parent / "cs231n" / "solution"}


def _laid_out(profile: str, how: str, tmp_path: Path) -> Path:
    """`profile`'s solution as a student hands it in: as it is, or zipped as one folder."""
    import shutil

    if how == "as-is":
        return _SOLUTIONS[profile]
    dest = tmp_path / "submission" / "hw"
    shutil.copytree(_SOLUTIONS[profile], dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest.parent


@pytest.mark.parametrize("how", ["as-is", "in-a-folder"])
@pytest.mark.parametrize("asked", PROFILE_NAMES)
@pytest.mark.parametrize("laid_out_for", PROFILE_NAMES)
def test_every_profile_refuses_every_other_profiles_layout(laid_out_for: str, asked: str, how: str,
                                                         tmp_path: Path):
    folder = _laid_out(laid_out_for, how, tmp_path)
    if asked == laid_out_for:
        check_layout(folder, get_profile(asked))
        return
    with pytest.raises(ProfileError, match=f"grade it with --profile {laid_out_for}") as refused:
        check_layout(folder, get_profile(asked))
    assert "rename" not in str(refused.value)


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize(("laid_out_for", "asked"),
                         [(a, b) for a in PROFILE_NAMES for b in PROFILE_NAMES if a != b])
def test_the_cli_refuses_another_profiles_layout_before_grading(laid_out_for: str, asked: str, command: str):
    result = CliRunner().invoke(cli, [command, str(_SOLUTIONS[laid_out_for]), "--profile", asked])
    assert result.exit_code == BAD_INPUT, result.output
    assert f"grade it with --profile {laid_out_for}" in result.stderr
    assert "rename" not in result.stderr and "Traceback" not in result.output


def test_the_cs231n_package_itself_is_refused_by_the_other_profiles(tmp_path: Path):
    package = _SOLUTIONS["cs231n-fc"] / "cs231n"
    for asked in ("default", "mytorch-hw1p1"):
        with pytest.raises(ProfileError, match="package itself.*grade it with --profile cs231n-fc"):
            check_layout(package, get_profile(asked))
    check_layout(package, get_profile("cs231n-fc"))
