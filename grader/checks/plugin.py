"""The pytest plugin that turns check modules into a graded `CheckResult` list.

Hooks used (all on `GradingPlugin`, registered by `grader.runner`):
- `pytest_configure`: loads the "grading" Hypothesis profile (derandomized, no
  database, no deadline) so a submission gets the same examples every run.
- `pytest_collection_modifyitems`: keeps the checks the rubric selects.
- `pytest_runtest_makereport`: records each check's outcome; a `CheckFailure`
  or a sandbox `StudentFailure` becomes diagnoses, any other exception is the
  grader's own error (status "error").
Fixtures offered to checks: `student`, `rubric`, `grading_seed`, `dataset`, `artifacts`.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

from grader.checks.framework import CheckFailure
from grader.checks.student import Student
from grader.profiles import get_profile
from grader.results import CheckResult, Diagnosis
from grader.rubric import Rubric
from grader.sandbox import Limits, Sandbox, SandboxError, StudentFailure
from grader.scoring import apply_score, max_points, visibility_of

CHECKS_DIR = Path(__file__).resolve().parent


def component_of(item: pytest.Item) -> list[str]:
    """The check's tags, closest marker first (a param's tag beats its function's)."""
    for marker in item.iter_markers("tags"):
        return [str(tag) for tag in marker.args]
    return []


def check_name(item: pytest.Item) -> str:
    return item.nodeid.split("/")[-1]


def falsifying_example(exc: BaseException) -> str:
    """Hypothesis attaches the minimal failing input to the exception as a note."""
    notes = getattr(exc, "__notes__", None) or []
    return "\n".join(n for n in notes if "Falsifying" in n or "example" in n.lower())


# What NumPy says when it cannot read a value as a numeric array: the student's code
# returned a ragged list, a string, a dict... where the contract wants an ndarray.
_UNREADABLE_VALUE = ("setting an array element with a sequence", "inhomogeneous",
                     "could not convert", "float() argument must be", "invalid literal for")


def unreadable_student_value(exc: BaseException) -> Diagnosis | None:
    """The diagnosis for a check that failed reading a malformed student value, else None."""
    if not isinstance(exc, (ValueError, TypeError)):
        return None
    text = str(exc)
    if not any(pattern in text for pattern in _UNREADABLE_VALUE):
        return None
    return Diagnosis("shape-mismatch", "your code returned a value that is not a numeric array "
                     f"({text.splitlines()[0][:120]}); return a float64 NumPy array of the "
                     "contract's shape, not a list, string or None")


class GradingPlugin:
    def __init__(self, submission: Path, rubric: Rubric, seed: int, progress: Any = None) -> None:
        self.submission = submission
        self._rubric = rubric
        self._seed = seed
        self.progress = progress
        self.profile = get_profile(rubric.profile)
        # Instance attributes must not reuse a fixture's name: pytest finds the
        # fixtures by looking up attributes of this object.
        self.results: dict[str, CheckResult] = {}
        self.credits: dict[str, float] = {}
        self.report_data: dict[str, Any] = {}
        self._sandbox: Sandbox | None = None
        self.grader_failure = ""

    # -- fixtures -----------------------------------------------------------------
    @pytest.fixture(scope="session")
    def student(self) -> Iterator[Student]:
        limits = self._rubric.limits
        sandbox = Sandbox(self.submission, limits=Limits(
            call_timeout_s=limits.call_timeout_s, memory_mb=limits.memory_mb,
            cpu_time_s=limits.cpu_time_s, output_limit_bytes=limits.output_limit_bytes),
            forbidden_imports=tuple(self._rubric.forbidden_imports), packages=self.profile.packages)
        self._sandbox = sandbox
        try:
            sandbox.start()
        except SandboxError as exc:
            # Without a worker every check would wait out its own start time-out.
            self.grader_failure = f"the sandbox worker could not start: {exc}"
            pytest.exit(self.grader_failure, returncode=pytest.ExitCode.INTERNAL_ERROR)
        try:
            yield Student(sandbox)
        finally:
            sandbox.close()
            self._sandbox = None

    @pytest.fixture(scope="session")
    def rubric(self) -> Rubric:
        return self._rubric

    @pytest.fixture(scope="session")
    def grading_seed(self) -> int:
        return self._seed

    @pytest.fixture(scope="session")
    def artifacts(self) -> dict[str, Any]:
        """Report data a check leaves for the writers (learning curve, confusion matrix)."""
        return self.report_data

    @pytest.fixture(scope="session")
    def dataset(self) -> Any:
        from grader.data import load_dataset

        training = self._rubric.training
        return load_dataset(training.dataset, seed=self._seed,
                            n_train=training.n_train, n_test=training.n_test)

    # -- hooks --------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        settings.register_profile(
            "grading", derandomize=True, database=None, deadline=None, print_blob=False,
            max_examples=self._rubric.hypothesis_max_examples, report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            # No explain phase: its line-coverage notes mean nothing to a student.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
        settings.load_profile("grading")

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        kept: list[tuple[pytest.Item, str, list[str]]] = []  # (item, name, tags)
        for item in items:
            name, item_tags = check_name(item), component_of(item) or ["other"]
            rule = self._rubric.checks.get(name)
            if rule is not None and not rule.enabled:
                continue
            if self._rubric.include_tags is not None and item_tags[0] not in self._rubric.include_tags:
                continue
            if self._rubric.public_only and visibility_of(name, item_tags[0], self._rubric) != "visible":
                continue
            kept.append((item, name, item_tags))
        items[:] = [item for item, _, _ in kept]
        points = max_points([(name, item_tags[0]) for _, name, item_tags in kept], self._rubric)
        for number, (_, name, item_tags) in enumerate(kept, start=1):
            self.results[name] = CheckResult(
                name=name, max_score=round(points[name], 6), tags=item_tags, number=str(number),
                visibility=visibility_of(name, item_tags[0], self._rubric))  # type: ignore[arg-type]
        if self.progress is not None:
            self.progress.start(total=len(kept), description="checks")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        yield
        result = self.results.get(check_name(item))
        if result is None:
            return
        result.duration_s += call.duration
        if call.excinfo is None:
            return
        exc = call.excinfo.value
        if call.excinfo.errisinstance(pytest.skip.Exception):
            result.status, result.message = "skipped", str(exc)
            return
        if result.status != "passed":
            return  # the first failure (setup or call) is the one worth reporting
        result.example = falsifying_example(exc)
        if isinstance(exc, CheckFailure):
            result.status = "failed"
            # Hints written once for every profile, said in the assignment's own words.
            result.diagnoses = [Diagnosis(d.id, self.profile.phrase(d.hint)) for d in exc.diagnoses]
            result.message = self.profile.phrase(exc.message)
            result.output = exc.output or self._student_output()
            self.credits[result.name] = exc.credit
        elif isinstance(exc, StudentFailure):
            result.status = "failed"
            result.diagnoses = [Diagnosis(exc.diagnosis, exc.message)]
            result.message = exc.message
            result.output = exc.output or self._student_output()
        elif (unreadable := unreadable_student_value(exc)) is not None:
            result.status = "failed"
            result.diagnoses = [unreadable]
            result.message = unreadable.hint
            result.output = self._student_output()
        else:
            # Not the student's fault as far as we can tell: say so, never blame them.
            result.status = "error"
            result.message = ("internal error in the grader's check (please report it): "
                              + "".join(traceback.format_exception_only(type(exc), exc)).strip())

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.progress is not None:
            self.progress.advance(1)

    def _student_output(self) -> str:
        return self._sandbox.last_output if self._sandbox is not None else ""

    # -- the outcome --------------------------------------------------------------
    def finished_checks(self) -> list[CheckResult]:
        for result in self.results.values():
            apply_score(result, self.credits.get(result.name, 0.0))
        return list(self.results.values())


def run_checks(plugin: GradingPlugin) -> int:
    """Run every check module of the profile in-process under `plugin`; returns pytest's exit code."""
    started = time.perf_counter()
    checks_dir = plugin.profile.checks_dir
    code = pytest.main(
        [str(checks_dir), "--rootdir", str(checks_dir), "-c", str(CHECKS_DIR / "pytest.ini"),
         "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly"],
        plugins=[plugin])
    plugin.report_data.setdefault("checks_wall_time_s", round(time.perf_counter() - started, 3))
    return int(code)
