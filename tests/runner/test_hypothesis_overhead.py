"""What Hypothesis does per check that a grading run spares it (speed, issue 21), without
changing a single example."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.internal import reflection

from grader.checks import plugin


def a_check_and_its_draws() -> tuple:
    drawn: list[int] = []

    @settings(derandomize=True, database=None, max_examples=10)
    @given(st.integers(0, 10**6))
    def check(n: int) -> None:
        drawn.append(n)

    return check, drawn


def test_no_database_key_is_computed_and_the_examples_stay_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    digests: list[object] = []
    real = reflection.function_digest

    def counted(function: object) -> bytes:
        digests.append(function)
        return real(function)

    for module in ("hypothesis.core", "hypothesis.internal.reflection"):
        monkeypatch.setattr(f"{module}.function_digest", counted)
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
