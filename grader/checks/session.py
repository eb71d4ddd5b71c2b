"""How a grading session runs pytest and Hypothesis: pytest's arguments, the "grading"
settings profile, and where Hypothesis keeps its files.

Everything here is about the machinery, never about a submission: the plugin
(`grader.checks.plugin`) uses it to run the checks of a profile's folder.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from grader.checks.examples import examples_for

CHECKS_DIR = Path(__file__).resolve().parent


#: No explain phase: its line-coverage notes mean nothing to a student.
GRADING_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)


def load_grading_settings(max_examples: int) -> None:
    """Hypothesis's "grading" profile: derandomized, no database, no deadline, so a
    submission gets the same examples every run; `max_examples` is the rubric's."""
    settings.register_profile(
        "grading", derandomize=True, database=None, deadline=None, print_blob=False,
        max_examples=max_examples, report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), phases=GRADING_PHASES)
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


def fit_settings(item: pytest.Item, max_examples: int, min_examples: int) -> None:
    """Run a Hypothesis check in the grading phases and with the examples the rubric being
    graded gives it (its share, grader.checks.examples), whatever profile was loaded when its
    module was imported.

    A check's settings are read once, when its module is imported: a process that imported
    it under another profile (a test, a host calling `grade()`) would add the explain phase,
    whose notes land in the example a student reads, or not, as its tracing allows; one that
    grades a second rubric would draw the first one's examples."""
    test = getattr(item, "obj", None)
    own = getattr(test, "_hypothesis_internal_use_settings", None)
    if getattr(test, "hypothesis", None) is None or own is None:
        return
    wanted = examples_for(test, max_examples, min_examples)
    if own.max_examples == wanted and tuple(own.phases) == GRADING_PHASES:
        return
    test._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
        own, phases=GRADING_PHASES, max_examples=wanted)


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
            # No plugin loads because it is installed: finding them reads the metadata of every
            # installed distribution (~0.03 s). Hypothesis's own plugin is the one the checks use.
            "--disable-plugin-autoload", "-p", "hypothesis.extra.pytestplugin",
            # No check uses a bare assert (a check fails with CheckFailure): importing them
            # without pytest's assertion rewriting saves parsing and compiling each module.
            "--assert=plain",
            # Python-level capture only: fd capture redirects the process's stdout and stderr into
            # one temporary file, which the forked second check session would share with this one
            # (grader.checks.shards). No check prints; the sandbox captures the student's output.
            "--capture=sys",
            # pytest's own plugins a grading run never uses. unraisableexception alone calls
            # gc.collect() five times at the end of the session (~0.5 s over Hypothesis's objects).
            *(arg for plugin in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{plugin}"))]


@contextlib.contextmanager
def grading_hypothesis() -> Iterator[None]:
    """Hypothesis as a grading run needs it: its files in a temporary folder, and examples
    that depend on nothing but the check and its seed.

    database=None is not enough to keep Hypothesis out of the current directory: it still
    creates `.hypothesis/` there for its caches, which under `grader check .` is the
    student's homework folder. Its home is pointed at a fresh temporary path instead, which
    Hypothesis creates only if it writes (a grading run writes nothing there) and which is
    removed after the run: a run that ends through the watchdog's `os._exit`, or is killed
    by a batch's time-out, leaves no empty folder behind (one per such run, when it was
    created up front). An explicit HYPOTHESIS_STORAGE_DIRECTORY is respected.

    Hypothesis also draws ~5% of its values from the literals of "local" modules, those
    loaded from outside site-packages (hypothesis.internal.conjecture.providers). Which
    those are depends on where the grader is installed (a checkout or a wheel), on which
    modules a check happened to import before another one ran, and on every edit of any
    grader module: the same submission would meet other examples on another machine, in
    another order of checks, or after an unrelated change. A grading run draws from
    Hypothesis's global constants only, as from a wheel install (it also spares parsing
    or reading back every module's literals, ~0.2 s per run).
    """
    restore = _without_local_constants()
    try:
        if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
            yield
            return
        # Unguessable and not yet there: nobody else can have made it (a link) before Hypothesis.
        home = Path(tempfile.gettempdir()) / f"grader-hypothesis-{secrets.token_hex(8)}"
        set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)
            shutil.rmtree(home, ignore_errors=True)
    finally:
        restore()


def _without_local_constants() -> Callable[[], None]:
    """Make Hypothesis see no local constants (see grading_hypothesis); returns the undo.
    A Hypothesis without them (older than 6.131) needs nothing."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        return lambda: None
    original = getattr(providers, "_get_local_constants", None)
    if original is None:
        return lambda: None
    none = Constants()
    providers._get_local_constants = lambda: none
    # Pools already built from the local constants of an earlier session in this process.
    providers.CONSTANTS_CACHE.cache.clear()

    def restore() -> None:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
    return restore


def kept_seeds() -> Path:
    """Where the checks' derandomized seeds are kept between runs (grader.checks.seeds)."""
    from grader.data.cache import cache_dir

    return cache_dir() / "hypothesis" / "seeds"
