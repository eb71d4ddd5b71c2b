"""Hypothesis's constants cache is kept between runs in the grader's cache folder (speed,
issue 21), read through a private copy and published whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis.configuration import storage_directory

from grader.checks import plugin


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    return tmp_path / "cache" / "hypothesis" / plugin.HYPOTHESIS_CONSTANTS


def test_constants_written_in_a_run_are_there_in_the_next(kept: Path) -> None:
    with plugin._hypothesis_storage():
        working = storage_directory(plugin.HYPOTHESIS_CONSTANTS).path
        assert working != kept and not working.exists()  # nothing kept yet
        working.mkdir(parents=True)
        (working / "0123abcd").write_text("[1, 2.5, 'x']")
    assert (kept / "0123abcd").read_text() == "[1, 2.5, 'x']"
    assert not working.exists()  # the run's own folder is gone
    with plugin._hypothesis_storage():
        again = storage_directory(plugin.HYPOTHESIS_CONSTANTS).path
        assert again != kept and (again / "0123abcd").read_text() == "[1, 2.5, 'x']"


def test_a_kept_file_is_never_rewritten_and_partial_files_are_not_published(kept: Path) -> None:
    kept.mkdir(parents=True)
    (kept / "0123abcd").write_text("[1]")
    with plugin._hypothesis_storage():
        working = storage_directory(plugin.HYPOTHESIS_CONSTANTS).path
        (working / "0123abcd").write_text("[2]")
        (working / ".scratch").write_text("[")
    assert (kept / "0123abcd").read_text() == "[1]"
    assert sorted(p.name for p in kept.iterdir()) == ["0123abcd"]
