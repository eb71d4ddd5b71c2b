"""The rubric's [conventions] and cs231n-fc's extra [training] keys, the dropout convention
object, and the bare-package and missing-file rules (fast: no grading)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from grader.profiles import ProfileError, get_profile, package_parent
from grader.profiles.cs231n_fc.conventions import DropoutConvention
from grader.profiles.cs231n_fc.layout import missing_provided
from grader.rubric import RubricError, load_rubric, loads_rubric

sys.path.insert(0, str(Path(__file__).resolve().parent / "cs231n"))

import cs231n_catalog as catalog  # noqa: E402

CS231N = get_profile("cs231n-fc")


def test_dropout_p_defaults_to_keep_and_takes_each_documented_value():
    assert loads_rubric('profile = "cs231n-fc"\n').conventions == {"dropout_p": "keep"}
    for value in ("keep", "drop", "detect"):
        rubric = loads_rubric(f'profile = "cs231n-fc"\n[conventions]\ndropout_p = "{value}"\n')
        assert rubric.conventions["dropout_p"] == value
        assert rubric.with_overrides(seed=3).conventions["dropout_p"] == value  # survives a copy


@pytest.mark.parametrize("text, named", [
    ('[conventions]\ndropout_p = "dorp"\n', 'conventions.dropout_p = "dorp" must be one of keep, drop, detect'),
    ('[conventions]\ndropout_p = 0.5\n', "conventions.dropout_p = 0.5 must be a non-empty string"),
    ('[conventions]\ndropout = "drop"\n', "unknown key 'conventions.dropout'; did you mean 'conventions.dropout_p'"),
    ('[training]\nadam_lr = -1\n', "training.adam_lr = -1 must be a positive number"),
    ('[training]\ndeep_hidden = [64, 0]\n', "training.deep_hidden = [64, 0] must be a list of positive layer widths"),
])
def test_bad_values_are_refused_naming_them(text, named):
    with pytest.raises(RubricError) as info:
        loads_rubric('profile = "cs231n-fc"\n' + text)
    assert named in str(info.value)


def test_a_profile_without_conventions_refuses_the_table():
    with pytest.raises(RubricError, match=r"\[conventions\] is not used by this rubric's profile"):
        loads_rubric('[conventions]\ndropout_p = "drop"\n')
    assert loads_rubric("").conventions == {}


def test_the_builtin_rubric_sets_the_new_runs():
    training = load_rubric("cs231n-fc").training
    assert (training.rmsprop_lr, training.adam_lr, training.deep_hidden) == (1e-2, 3e-3, (64, 64))


def test_a_convention_maps_p_both_ways_and_says_what_was_graded():
    drop, keep = DropoutConvention("drop", "set by the rubric"), DropoutConvention("keep", "detected")
    assert drop.keep(0.25) == drop.p_for(0.25) == 0.75 and keep.keep(0.25) == 0.25
    assert "DROP probability (the 2017 handout), set by the rubric" in drop.fact
    assert 'dropout_p = "drop"' in keep.confusion(0.7, 0.3)


def test_the_package_folder_resolves_to_its_parent(tmp_path: Path):
    parent = catalog.materialize(tmp_path / "a")
    assert package_parent(parent / "cs231n", CS231N) == parent
    assert package_parent(parent, CS231N) is None  # holds the package: graded as it is
    assert package_parent(parent / "cs231n", get_profile("default")) is None
    assert package_parent(parent / "cs231n" / "classifiers" / "..", CS231N) == parent.resolve()
    (parent / "cs231n").rename(parent / "mine")
    with pytest.raises(ProfileError, match="rename it cs231n"):
        package_parent(parent / "mine", CS231N)


def test_missing_course_files_say_whether_they_matter(tmp_path: Path):
    parent = catalog.materialize(tmp_path / "a", removed=("cs231n/layer_utils.py",))
    notes = missing_provided(parent)
    assert any("layer_utils.py is missing and it matters" in n for n in notes)
    assert any("solver.py is missing; it does not matter" in n for n in notes)
    fc_net = parent / catalog.FC
    fc_net.write_text(fc_net.read_text().replace("from ..layer_utils import *", ""))
    assert any("does not matter here" in n for n in missing_provided(parent))
    (parent / "cs231n" / "solver.py").write_text("")
    (parent / "cs231n" / "layer_utils.py").write_text("")
    assert missing_provided(parent) == []


def test_grader_run_refuses_a_bad_dropout_p_before_grading(tmp_path: Path):
    from click.testing import CliRunner

    from grader.cli import cli
    from grader.exitcodes import BAD_INPUT

    rubric = tmp_path / "bad.toml"
    rubric.write_text('profile = "cs231n-fc"\n[conventions]\ndropout_p = "2017"\n')
    done = CliRunner().invoke(cli, ["run", str(catalog.materialize(tmp_path / "a")), "--rubric", str(rubric)])
    assert done.exit_code == BAD_INPUT and 'conventions.dropout_p = "2017" must be one of keep, drop, detect' in done.output
