"""A grading run's Hypothesis: its files in a temporary folder, never the current one, and
examples that do not depend on which of the grader's modules are loaded (issue 21: the
same examples from a checkout, a wheel, and either shard of a run)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import storage_directory

from grader.checks import session


def _draws() -> list[float]:
    seen: list[float] = []

    @settings(derandomize=True, database=None, max_examples=300, deadline=None)
    @given(st.floats(allow_nan=False, allow_infinity=False))
    def collect(x: float) -> None:
        seen.append(x)

    collect()
    return seen


@pytest.fixture
def literal_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A local module (outside site-packages) full of float literals Hypothesis would borrow."""
    source = "\n".join(f"VALUE_{i} = {1234.5678 + i * 0.0625!r}" for i in range(40))
    (tmp_path / "literal_rich_module.py").write_text(source + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "literal_rich_module"
    sys.modules.pop("literal_rich_module", None)


def test_examples_do_not_depend_on_the_modules_loaded(literal_module: str) -> None:
    with session.grading_hypothesis():
        before = _draws()
        importlib.import_module(literal_module)
        after = _draws()
    assert before == after
    assert not {x for x in after if 1234 <= x <= 1237}


def test_hypothesis_sees_its_local_constants_again_after_the_run(literal_module: str) -> None:
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    with session.grading_hypothesis():
        assert providers._get_local_constants is not original
        assert not providers._get_local_constants().floats
    assert providers._get_local_constants is original


def test_files_go_to_a_temporary_folder_removed_after_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    with session.grading_hypothesis():
        home = storage_directory("charmap").path.parent
        assert tmp_path not in home.parents
        home.mkdir(parents=True, exist_ok=True)
        assert home.is_dir()
    assert not home.exists()
    assert not (tmp_path / ".hypothesis").exists()


def test_a_run_that_writes_nothing_creates_no_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder exists only once Hypothesis writes into it: a run that ends abruptly (the
    watchdog's os._exit, a batch's kill) leaves nothing behind unless it wrote there."""
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    with session.grading_hypothesis():
        home = storage_directory("charmap").path.parent
        assert home.name.startswith("grader-hypothesis-") and not home.exists()
        _draws()
        assert not home.exists()
    with session.grading_hypothesis():
        assert storage_directory("charmap").path.parent != home  # a fresh path per run
