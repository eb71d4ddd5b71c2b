"""What Hypothesis does per check that a grading run spares it (speed, issue 21), without
changing a single example."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal import reflection

from grader.checks import plugin
from grader.checks import strategies as S
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


def test_a_check_imported_under_another_profile_runs_in_the_grading_phases() -> None:
    """A check module imported while a profile with the explain phase was loaded (the test
    suite's, Hypothesis's default) still runs without it: its notes would land in the
    example a student reads, or not, as tracing allows."""
    def a_check_with_explain() -> tuple:
        drawn: list[int] = []

        # As a check's settings read under such a profile (whichever is loaded now).
        @settings(derandomize=True, database=None, max_examples=10, phases=list(Phase))
        @given(st.integers(0, 10**6))
        def check(n: int) -> None:
            drawn.append(n)

        return check, drawn

    check, draws = a_check_with_explain()
    plugin.fit_settings(SimpleNamespace(obj=check), 10, 5)
    kept = check._hypothesis_internal_use_settings
    assert tuple(kept.phases) == plugin.GRADING_PHASES and kept.max_examples == 10 and kept.derandomize
    check()
    again, again_draws = a_check_with_explain()
    again()
    assert draws == again_draws  # the same examples, explain or not


def a_shared_check(fraction: float, at_least: int) -> tuple:
    """A check drawing `fraction` of the budget, at least `at_least`, as the profiles write it;
    imported under a profile of 100 examples (the module is imported once per process)."""
    drawn: list[int] = []

    @settings(derandomize=True, database=None, max_examples=100)
    @S.share(fraction, at_least=at_least)
    @given(st.integers(0, 10**6))
    def check(n: int) -> None:
        drawn.append(n)

    return check, drawn


@pytest.mark.parametrize(("fraction", "at_least", "budget", "drawn"), [
    (0.3, 5, (30, 5), 9),    # a grade: 30% of 30
    (0.3, 5, (15, 5), 5),    # its own floor
    (0.3, 5, (15, 3), 4),    # a self-check: 30% of 15 (its floor capped at 3 does not bind)
    (0.1, 5, (15, 3), 3),    # a self-check: the floor capped at 3
    (0.1, 3, (30, 5), 3),    # a costly check's own lower floor stays
    (1.0, 5, (20, 5), 20),
])
def test_a_check_draws_its_share_of_the_rubric_being_graded(fraction: float, at_least: int,
                                                            budget: tuple[int, int], drawn: int) -> None:
    check, draws = a_shared_check(fraction, at_least)
    plugin.fit_settings(SimpleNamespace(obj=check), *budget)
    check()
    assert check._hypothesis_internal_use_settings.max_examples == drawn
    assert len(draws) == drawn  # every example a distinct integer here: none skipped or repeated


def test_a_second_rubric_in_the_same_process_draws_its_own_examples() -> None:
    """A process imports a check once; a host grading two rubrics (a Dask worker, a test)
    must draw the second one's examples, not the first one's."""
    check, draws = a_shared_check(0.5, 5)
    plugin.fit_settings(SimpleNamespace(obj=check), 15, 3)
    check()
    first = len(draws)
    plugin.fit_settings(SimpleNamespace(obj=check), 30, 5)
    check()
    assert (first, len(draws) - first) == (7, 15)


def test_a_share_written_below_given_counts_too() -> None:
    drawn: list[int] = []

    @given(st.integers(0, 10**6))
    @S.share(0.2)
    def check(n: int) -> None:
        drawn.append(n)

    plugin.fit_settings(SimpleNamespace(obj=check), 30, 5)
    check()
    assert len(drawn) == 6


def test_an_unshared_check_draws_the_whole_budget() -> None:
    check, draws = a_check_and_its_draws()  # its own settings say 10
    plugin.fit_settings(SimpleNamespace(obj=check), 12, 3)
    check()
    assert len(draws) == 12


@pytest.mark.parametrize(("fraction", "at_least"), [(0.0, 5), (1.5, 5), (0.5, 0)])
def test_an_impossible_share_is_refused_where_it_is_written(fraction: float, at_least: int) -> None:
    with pytest.raises(ValueError, match="example share"):
        S.share(fraction, at_least=at_least)


def test_checks_are_imported_without_assertion_rewriting() -> None:
    args = plugin.checks_args(plugin.CHECKS_DIR)
    assert "--assert=plain" in args


def run_as_pytest_would(test: object, nodeid: str, parametrized: bool) -> None:
    """Hypothesis's pytest plugin adds the node id to the digest of a parametrized test only."""
    if parametrized:
        test.hypothesis.inner_test._hypothesis_internal_add_digest = nodeid.encode()  # type: ignore[attr-defined]
    test()  # type: ignore[operator]


@pytest.mark.parametrize("parametrized", [False, True])
def test_kept_seeds_draw_what_derandomize_draws_without_digesting_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parametrized: bool) -> None:
    module = tmp_path / "test_module.py"
    module.write_text("# the check module's text keys its seeds\n")
    nodeid = "test_module.py::check[relu]" if parametrized else "test_module.py::check"
    derandomized, want = a_check_and_its_draws()
    run_as_pytest_would(derandomized, nodeid, parametrized)

    digests = count_digests(monkeypatch)
    for run in range(3):  # the first run learns the seed, the next ones read it back
        test, drawn = a_check_and_its_draws()
        item = SimpleNamespace(obj=test, path=module, nodeid=nodeid)
        seeds = DerandomizedSeeds(tmp_path / "seeds")
        plugin.skip_database_key(item)
        seeds.apply(item)
        run_as_pytest_would(test, nodeid, parametrized)
        seeds.learn(item)
        seeds.save()
        assert drawn == want, run
        # The first run: derandomize's digest, and the same one computed again to keep it.
        assert len(digests) == (2 if run == 0 else 0), run
        digests.clear()


def test_a_changed_module_or_a_damaged_file_learns_the_seed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "test_module.py"
    module.write_text("# one text\n")
    nodeid = "test_module.py::check"

    def run_once() -> list[int]:
        test, drawn = a_check_and_its_draws()
        item = SimpleNamespace(obj=test, path=module, nodeid=nodeid)
        seeds = DerandomizedSeeds(tmp_path / "seeds")
        plugin.skip_database_key(item)
        seeds.apply(item)
        test()
        seeds.learn(item)
        seeds.save()
        return drawn

    first = run_once()
    for kept in (tmp_path / "seeds").iterdir():
        kept.write_text("{not json")
    digests = count_digests(monkeypatch)
    assert run_once() == first and len(digests) == 2
    module.write_text("# another text\n")
    digests.clear()
    assert run_once() == first and len(digests) == 2
