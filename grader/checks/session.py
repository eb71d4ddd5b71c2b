"""How a grading session runs pytest and Hypothesis: pytest's arguments, the "grading"
settings profile, and where Hypothesis keeps its files.

Everything here is about the machinery, never about a submission: the plugin
(`grader.checks.plugin`) uses it to run the checks of a profile's folder.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

CHECKS_DIR = Path(__file__).resolve().parent


def load_grading_settings(max_examples: int) -> None:
    """Hypothesis's "grading" profile: derandomized, no database, no deadline, so a
    submission gets the same examples every run; `max_examples` is the rubric's."""
    settings.register_profile(
        "grading", derandomize=True, database=None, deadline=None, print_blob=False,
        max_examples=max_examples, report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        # No explain phase: its line-coverage notes mean nothing to a student.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
    settings.load_profile("grading")


def skip_database_key(item: pytest.Item) -> None:
    """Spare Hypothesis the example database's key of a check: there is no database.

    Hypothesis computes the key, a digest of the check's source (read and tokenized again),
    even with database=None: ~1.5 ms of CPU per check. A test whose key is already set
    (None: no key, as `hypothesis.find` sets it without a database) skips it; the
    examples do not depend on the key."""
    test = getattr(item, "obj", None)
    if getattr(test, "hypothesis", None) is not None:
        test._hypothesis_internal_database_key = None  # type: ignore[union-attr]


#: Built-in pytest plugins that cost time in a grading run and serve none of its checks
#: (no check reads logs, unraisable exceptions, or writes junit/doctest/pastebin output).
UNUSED_PYTEST_PLUGINS = ("unraisableexception", "threadexception", "logging", "junitxml", "doctest",
                         "pastebin", "setuponly", "setupplan", "stepwise", "faulthandler")


def checks_args(checks_dir: Path) -> list[str]:
    """pytest's arguments to run (or, with "--collect-only" added, list) a check folder."""
    return [str(checks_dir), "--rootdir", str(checks_dir), "-c", str(CHECKS_DIR / "pytest.ini"),
            # Plugins a grading machine may have installed that would reorder the checks or
            # write into the current folder (pytest-benchmark's .benchmarks/).
            "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly", "-p", "no:benchmark",
            # No check uses a bare assert (a check fails with CheckFailure): importing them
            # without pytest's assertion rewriting saves parsing and compiling each module.
            "--assert=plain",
            # pytest's own plugins a grading run never uses. unraisableexception alone calls
            # gc.collect() five times at the end of the session (~0.5 s over Hypothesis's objects).
            *(arg for plugin in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{plugin}"))]


@contextlib.contextmanager
def _hypothesis_storage() -> Iterator[None]:
    """Hypothesis's own files (its charmap and constants caches) go to a temporary folder.

    database=None is not enough: Hypothesis still creates `.hypothesis/` in the
    current directory for its caches, which under `grader check .` is the
    student's homework folder. An explicit HYPOTHESIS_STORAGE_DIRECTORY is respected.

    The constants cache (the literals Hypothesis reads from the source of the grader's
    own modules, one file per source hash: the same source, the same file) is kept
    between runs in the grader's cache folder: reading it back is ~0.25 s of CPU less
    per run than parsing every module again. The run reads a copy, and new files are
    published whole (atomic rename), so a concurrent run never reads half a file.
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="grader-hypothesis-") as home:
        kept = _kept_constants()
        working = Path(home) / HYPOTHESIS_CONSTANTS
        _copy_new_files(kept, working)
        set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)
            _copy_new_files(working, kept, atomic=True)


#: Hypothesis's folder for its constants cache (hypothesis.internal.constants_ast).
HYPOTHESIS_CONSTANTS = "constants"


def kept_seeds() -> Path:
    """Where the checks' derandomized seeds are kept between runs (grader.checks.seeds)."""
    from grader.data.cache import cache_dir

    return cache_dir() / "hypothesis" / "seeds"


def _kept_constants() -> Path:
    from grader.data.cache import cache_dir

    return cache_dir() / "hypothesis" / HYPOTHESIS_CONSTANTS


def _copy_new_files(source: Path, dest: Path, *, atomic: bool = False) -> None:
    """Copy the files of `source` that `dest` lacks (a cache: any OSError leaves it as it is)."""
    from grader.data.cache import atomic_writer

    try:
        if not source.is_dir():
            return
        dest.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            target = dest / file.name
            if file.name.startswith(".") or not file.is_file() or target.exists():
                continue
            if atomic:
                with atomic_writer(target) as out:
                    out.write(file.read_bytes())
            else:
                target.write_bytes(file.read_bytes())
    except OSError:
        pass
