"""What Hypothesis does per check that a grading run spares it (speed, issue 21), without
changing a single example."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.internal import reflection

from grader.checks import plugin
from grader.checks.seeds import DerandomizedSeeds


def a_check_and_its_draws() -> tuple:
    drawn: list[int] = []

    @settings(derandomize=True, database=None, max_examples=10)
    @given(st.integers(0, 10**6))
    def check(n: int) -> None:
        drawn.append(n)

    return check, drawn


def count_digests(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every function Hypothesis (or the grader) digests from now on."""
    digests: list[object] = []
    real = reflection.function_digest

    def counted(function: object) -> bytes:
        digests.append(function)
        return real(function)

    for module in ("hypothesis.core", "hypothesis.internal.reflection", "grader.checks.seeds"):
        monkeypatch.setattr(f"{module}.function_digest", counted)
    return digests


def test_no_database_key_is_computed_and_the_examples_stay_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    digests = count_digests(monkeypatch)
    plain, plain_draws = a_check_and_its_draws()
    plain()
    per_plain_run = len(digests)
    digests.clear()
    spared, spared_draws = a_check_and_its_draws()
    plugin.skip_database_key(SimpleNamespace(obj=spared))
    spared()
    assert per_plain_run == 2 and len(digests) == 1  # the derandomized seed only
    assert spared_draws == plain_draws and len(set(plain_draws)) > 1


def test_a_check_that_is_no_hypothesis_test_is_left_as_it_is() -> None:
    def check() -> None: ...

    plugin.skip_database_key(SimpleNamespace(obj=check))
    assert not hasattr(check, "_hypothesis_internal_database_key")


def test_checks_are_imported_without_assertion_rewriting() -> None:
    args = plugin.checks_args(plugin.CHECKS_DIR)
    assert "--assert=plain" in args


def test_kept_seeds_draw_what_derandomize_draws_without_digesting_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "test_module.py"
    module.write_text("# the check module's text keys its seeds\n")
    nodeid = "test_module.py::check[relu]"
    derandomized, want = a_check_and_its_draws()
    # What Hypothesis's pytest plugin adds to the digest of a test invocation.
    derandomized.hypothesis.inner_test._hypothesis_internal_add_digest = nodeid.encode()
    derandomized()

    digests = count_digests(monkeypatch)
    first, got = a_check_and_its_draws()
    seeds = DerandomizedSeeds(tmp_path / "seeds")
    item = SimpleNamespace(obj=first, path=module, nodeid=nodeid)
    plugin.skip_database_key(item)
    seeds.apply(item)
    first()
    seeds.save()
    assert got == want and len(digests) == 1  # computed once, then given as the seed

    digests.clear()
    again, drawn = a_check_and_its_draws()
    item = SimpleNamespace(obj=again, path=module, nodeid=nodeid)
    plugin.skip_database_key(item)
    DerandomizedSeeds(tmp_path / "seeds").apply(item)
    again()
    assert drawn == want and digests == []  # the next run reads it back


def test_a_changed_module_or_a_damaged_file_computes_the_seed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "test_module.py"
    module.write_text("# one text\n")
    seeds = DerandomizedSeeds(tmp_path / "seeds")
    check, _ = a_check_and_its_draws()
    seeds.apply(SimpleNamespace(obj=check, path=module, nodeid="test_module.py::check"))
    seeds.save()
    for kept in (tmp_path / "seeds").iterdir():
        kept.write_text("{not json")
    digests = count_digests(monkeypatch)
    check, _ = a_check_and_its_draws()
    DerandomizedSeeds(tmp_path / "seeds").apply(SimpleNamespace(obj=check, path=module,
                                                                nodeid="test_module.py::check"))
    module.write_text("# another text\n")
    check, _ = a_check_and_its_draws()
    DerandomizedSeeds(tmp_path / "seeds").apply(SimpleNamespace(obj=check, path=module,
                                                                nodeid="test_module.py::check"))
    assert len(digests) == 2
