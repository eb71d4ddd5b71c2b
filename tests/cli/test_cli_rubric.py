"""Rubric loading and validation: every error names the file, the dotted key and the fix."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grader.rubric as rubric_mod
import grader.rubric.validation as rubric_validation
from grader.rubric import TAGS, RubricError, load_rubric, loads_rubric

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message  # the file comes first
    return message


# -- the shipped rubrics -------------------------------------------------------------


def test_default_rubric_loads_with_100_points_and_a_hidden_check() -> None:
    rubric = load_rubric(None)
    assert rubric.path == REPO / "rubrics" / "default.toml"
    assert rubric.total_points == pytest.approx(100.0)
    assert set(rubric.components) <= set(TAGS)
    assert rubric.modules == ("layers", "losses", "optim", "network")
    assert not rubric.public_only and rubric.include_tags is None
    hidden = [n for n, r in rubric.checks.items() if r.visibility not in (None, "visible")]
    hidden += [t for t, r in rubric.components.items() if r.visibility != "visible"]
    assert hidden, "the default rubric hides at least one check until the due date"
    assert "torch" in rubric.forbidden_imports


def test_selfcheck_rubric_is_public_and_smaller() -> None:
    default, selfcheck = load_rubric("default"), load_rubric("selfcheck")
    assert selfcheck.public_only
    assert selfcheck.hypothesis_max_examples < default.hypothesis_max_examples
    assert selfcheck.hypothesis_min_examples < default.hypothesis_min_examples
    assert selfcheck.training.n_train < default.training.n_train
    assert selfcheck.training.epochs <= default.training.epochs
    assert selfcheck.include_tags is not None and set(selfcheck.include_tags) <= set(TAGS)


def test_every_default_key_is_commented() -> None:
    """Instructors edit these files: every key line follows a comment or carries one."""
    for name in ("default.toml", "selfcheck.toml"):
        lines = (REPO / "rubrics" / name).read_text().splitlines()
        for i, line in enumerate(lines):
            is_key = re.match(r"^[a-z_]+\s*=", line)
            if is_key and "#" not in line:
                before = [ln for ln in lines[:i] if ln.strip()]
                assert before and (before[-1].lstrip().startswith("#") or re.match(r"^[a-z_]+\s*=", before[-1])
                                   or before[-1].startswith("[")), f"{name}:{i + 1} {line!r} has no comment"


def test_builtin_name_and_missing_file(tmp_path: Path) -> None:
    assert load_rubric("selfcheck").name == "mlp-selfcheck"
    with pytest.raises(RubricError, match=r"nope\.toml: rubric file not found; pass an existing"):
        load_rubric(tmp_path / "nope.toml")
    with pytest.raises(RubricError, match="is a folder"):
        load_rubric(tmp_path)


def test_minimal_rubric_gets_defaults_and_file_stem_name(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, "", "week3.toml"))
    assert rubric.name == "week3"
    assert rubric.limits == rubric_mod.Limits()
    assert rubric.training == rubric_mod.TrainingConfig()
    assert rubric.components == {} and rubric.checks == {}


# -- each kind of error -----------------------------------------------------------------


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'name = "a"\n[limits]\nmemory_mb = \n')
    assert "TOML syntax error" in message and "line 3" in message


def test_negative_limit_message_names_key_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "[limits]\nmemory_mb = -5\n")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert str(info.value) == f"{path}: limits.memory_mb = -5 must be a positive integer (MiB); e.g. memory_mb = 512"


@pytest.mark.parametrize("text, key, fix", [
    ("[limits]\ncall_timeout_s = 0\n", "limits.call_timeout_s = 0", "e.g. call_timeout_s = 10"),
    ("[limits]\nmemory_mb = \"512\"\n", 'limits.memory_mb = "512"', "e.g. memory_mb = 512"),
    ("[limits]\nmemory_mb = 51.2\n", "limits.memory_mb = 51.2", "positive integer"),
    ("[limits]\ncpu_time_s = true\n", "limits.cpu_time_s = true", "positive number"),
    ("[limits]\noutput_limit_bytes = 0\n", "limits.output_limit_bytes = 0", "(bytes)"),
    ("seed = -1\n", "seed = -1", "integer >= 0"),
    ("hypothesis_max_examples = 0\n", "hypothesis_max_examples = 0", "e.g. hypothesis_max_examples = 50"),
    ("hypothesis_min_examples = 0\n", "hypothesis_min_examples = 0", "e.g. hypothesis_min_examples = 5"),
    ("public_only = \"yes\"\n", 'public_only = "yes"', "true or false"),
    ("modules = []\n", "modules = []", "must not be empty"),
    ("modules = [\"layers.py\"]\n", 'modules = ["layers.py"]', "without '.py'"),
    ("forbidden_imports = \"torch\"\n", 'forbidden_imports = "torch"', "list of module names"),
    ("[training]\nactivation = \"rleu\"\n", 'training.activation = "rleu"', 'did you mean "relu"'),
    ("[training]\nhidden = [64, 0]\n", "training.hidden = [64, 0]", "e.g. hidden = [64]"),
    ("[training]\nhidden = 64\n", "training.hidden = 64", "list of positive layer widths"),
    ("[training]\nmin_accuracy = 85\n", "training.min_accuracy = 85", "at most 1"),
    ("[training]\nlr = -0.1\n", "training.lr = -0.1", "e.g. lr = 0.1"),
    ("[training]\nepochs = 0\n", "training.epochs = 0", "e.g. epochs = 8"),
    ("[training]\ndataset = \"\"\n", 'training.dataset = ""', "non-empty string"),
    ("[components.linear]\npoints = -1\n", "components.linear.points = -1", "number >= 0"),
    ("[components.linear]\npoints = 5\nvisibility = \"hiden\"\n",
     'components.linear.visibility = "hiden"', 'did you mean "hidden"'),
    ('[checks."test_linear.py::test_forward"]\nvisibility = "after_due"\n',
     'checks."test_linear.py::test_forward".visibility = "after_due"', "after_due_date"),
    ('[checks."test_linear.py::test_forward"]\nenabled = 0\n',
     'checks."test_linear.py::test_forward".enabled = 0', "true or false"),
])
def test_value_errors_name_key_and_fix(tmp_path: Path, text: str, key: str, fix: str) -> None:
    message = error_of(tmp_path, text)
    assert key in message and fix in message


@pytest.mark.parametrize("text, expected", [
    ("seeed = 3\n", "unknown key 'seeed'; did you mean 'seed'?"),
    ("[limits]\nmemory_mib = 5\n", "unknown key 'limits.memory_mib'; did you mean 'limits.memory_mb'?"),
    ("[training]\nepoch = 5\n", "did you mean 'training.epochs'?"),
    ("[trainig]\nepochs = 5\n", "did you mean 'training'?"),
    ("[components.linear]\npoint = 5\n", "did you mean 'components.linear.points'?"),
    ("[limits]\nzzz = 1\n", "allowed keys here: call_timeout_s"),
])
def test_unknown_keys_suggest_the_closest(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_unknown_tags_suggest_the_catalog(tmp_path: Path) -> None:
    assert "unknown component tag 'cross_entropy'; did you mean 'cross-entropy'?" in error_of(
        tmp_path, "[components.cross_entropy]\npoints = 5\n")
    assert "include_tags: unknown component tag 'lineer'" in error_of(tmp_path, 'include_tags = ["lineer"]\n')


def test_component_without_points(tmp_path: Path) -> None:
    assert "components.relu.points is missing; e.g. points = 10" in error_of(
        tmp_path, '[components.relu]\nvisibility = "hidden"\n')


def test_table_of_wrong_type(tmp_path: Path) -> None:
    assert "'limits' must be a table" in error_of(tmp_path, "limits = 5\n")


def test_check_names_are_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert 'a check is named "test_<file>.py::test_<name>"' in error_of(
        tmp_path, '[checks."linear forward"]\npoints = 1\n')
    # Against the check modules that exist (patched here, so the test does not depend on them).
    monkeypatch.setattr(rubric_validation, "_known_checks",
                        lambda *_: {"test_linear.py": {"test_forward", "test_backward"}})
    assert "no check test_forwrd in test_linear.py; did you mean 'test_linear.py::test_forward'?" in error_of(
        tmp_path, '[checks."test_linear.py::test_forwrd"]\npoints = 1\n')
    assert "no check file test_lineer.py; did you mean 'test_linear.py'?" in error_of(
        tmp_path, '[checks."test_lineer.py::test_forward"]\npoints = 1\n')
    ok = load_rubric(write(tmp_path, '[checks."test_linear.py::test_forward[relu]"]\npoints = 1\n', "ok.toml"))
    assert ok.checks["test_linear.py::test_forward[relu]"].points == 1.0


def test_default_rubric_check_names_exist_in_the_check_modules() -> None:
    known = rubric_validation._known_checks()
    if not known:
        pytest.skip("the check modules are not in this checkout")
    for name in load_rubric(None).checks:
        file, func = name.split("[")[0].split("::")
        assert func in known.get(file, set()), f"default.toml names {name}, which does not exist"


def test_rubric_is_frozen() -> None:
    rubric = load_rubric(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.seed = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.limits.memory_mb = 3  # type: ignore[misc]


# -- overrides -----------------------------------------------------------------------


def test_with_overrides_top_level_dotted_and_table() -> None:
    rubric = load_rubric(None)
    assert rubric.with_overrides(seed=7).seed == 7
    changed = rubric.with_overrides(**{"training.dataset": "mnist"}, public_only=True)
    assert changed.training.dataset == "mnist" and changed.public_only
    assert changed.training.epochs == rubric.training.epochs  # other keys kept
    merged = rubric.with_overrides(limits={"memory_mb": 256})
    assert merged.limits.memory_mb == 256 and merged.limits.cpu_time_s == rubric.limits.cpu_time_s
    assert rubric.with_overrides(include_tags=("linear",)).include_tags == ("linear",)
    assert rubric.with_overrides(include_tags=None).include_tags is None
    assert rubric.with_overrides().to_dict() == rubric.to_dict()
    assert rubric.seed != 7 or True  # the original is untouched (frozen)


def test_with_overrides_validates() -> None:
    with pytest.raises(RubricError, match=r"limits\.memory_mb = -1 must be a positive integer"):
        load_rubric(None).with_overrides(**{"limits.memory_mb": -1})
    with pytest.raises(RubricError, match="unknown key 'sed'; did you mean 'seed'"):
        load_rubric(None).with_overrides(sed=1)


@settings(max_examples=60, deadline=None)
@given(memory=st.integers(-10**6, 10**6), timeout=st.floats(allow_nan=True, allow_infinity=True))
def test_limits_accept_exactly_the_positive_values(memory: int, timeout: float) -> None:
    text = f"[limits]\nmemory_mb = {memory}\n"
    if memory > 0:
        assert loads_rubric(text).limits.memory_mb == memory
    else:
        with pytest.raises(RubricError, match="positive integer"):
            loads_rubric(text)
    import math

    if not math.isfinite(timeout):
        return  # TOML spells these inf/nan; covered by the parametrized cases' style
    text = f"[limits]\ncall_timeout_s = {timeout!r}\n"
    if timeout > 0:
        assert loads_rubric(text).limits.call_timeout_s == timeout
    else:
        with pytest.raises(RubricError, match="positive number"):
            loads_rubric(text)


def test_nan_and_inf_are_rejected() -> None:
    for value in ("nan", "inf", "-inf"):
        with pytest.raises(RubricError, match="positive number"):
            loads_rubric(f"[limits]\ncall_timeout_s = {value}\n")
