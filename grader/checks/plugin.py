"""The pytest plugin that turns check modules into a graded `CheckResult` list.

Hooks used (all on `GradingPlugin`, registered by `grader.runner`):
- `pytest_configure`: loads the "grading" Hypothesis profile (derandomized, no
  database, no deadline) so a submission gets the same examples every run.
- `pytest_sessionstart` (`WorkerLifecycle`): hands each check session a sandbox worker the
  runner launched (or launches it), so its start-up runs while pytest collects.
- `pytest_collection_modifyitems`: keeps the checks the rubric selects, gives each its
  examples under the rubric (`grader.checks.session.fit_settings`), numbers them, then
  forks the second check session (`grader.checks.shards`) and keeps this session's half.
- `pytest_runtest_protocol`: once the run's deadline (limits.run_timeout_s)
  has passed, records each remaining check as not run (`timeout`) without
  running it; otherwise names the check in the sandbox's ledger, so a hint can
  say in which check a function first hung, and gives a Hypothesis check its
  derandomized seed from the cache (`grader.checks.seeds`).
- `pytest_runtest_makereport`: records each check's outcome; a `CheckFailure`,
  a sandbox `StudentFailure`, a refused call of a hung function (`CallBlocked`)
  or the run's deadline (`RunDeadlineReached`) becomes diagnoses; any other
  exception is the grader's own error (status "error": its points are left out
  of the total and the run exits 3).
Releases and course scope (see the README, "What a profile declares"): the profile's
release for this submission (detected, or the rubric's `[conventions] release`) decides
which components run; the others are recorded as `not_assigned` and leave the maximum.
Checks marked `beyond_course` are priced at 0 in a course profile unless the rubric or
the release scores them; `not_assigned(...)` inside a check gives "not-assigned".
Fixtures offered to checks: `student`, `rubric`, `grading_seed`, `dataset`, `artifacts`,
`release` (the Release graded, or None).

Split by concept: what a check declares (`grader.checks.items`), what its failure tells
(`grader.checks.outcomes`), how pytest and Hypothesis are set up (`grader.checks.session`),
the sandbox worker's start and close (`grader.checks.worker_start`, a base class of the
plugin), the two check sessions (`grader.checks.shards`: `run_checks` merges the child's
outcome, `merge_partner`); their names are importable from here too.
"""

from __future__ import annotations

import dataclasses
import gc
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from grader.checks.framework import CheckFailure, NotAssigned
from grader.checks.items import check_name, component_of, marker_text, name_of, title_of  # noqa: F401
from grader.checks.outcomes import falsifying_example, student_frames, unreadable_student_value
from grader.checks.seeds import DerandomizedSeeds
from grader.checks.shards import (INTERNAL_ERROR, PARTNER_GRACE_S, Partner, Readying, TwoSessions, send_and_exit,
                                  sessions, tick)
from grader.checks.session import (CHECKS_DIR, GRADING_PHASES, UNUSED_PYTEST_PLUGINS,  # noqa: F401
                                   checks_args, fit_settings, grading_hypothesis, kept_seeds,
                                   load_grading_settings, skip_database_key)
from grader.checks.student import Student
from grader.checks.worker_start import Launched, WorkerLifecycle
from grader.profiles import get_profile
from grader.profiles.base import Release
from grader.results import CheckResult, Diagnosis, NotAssignedPart
from grader.rubric import Rubric
from grader.sandbox import Sandbox, StudentFailure
from grader.sandbox.errors import CallBlocked, RunDeadlineReached
from grader.scoring import apply_score, max_points, visibility_of


class GradingPlugin(WorkerLifecycle, TwoSessions):
    def __init__(self, submission: Path, rubric: Rubric, seed: int, progress: Any = None, *,
                 deadline: float | None = None, dataset: Any = None,
                 workers: Launched | None = None,
                 while_waiting: Callable[[], None] | None = None) -> None:
        """`deadline`: time.monotonic() after which no check starts and no student code runs.
        `dataset`: the training checks' data, loaded by the runner (None: loaded on first use).
        `workers`: sandboxes the runner launched already (worker_start.launch_workers), one per
        check session; the plugin launches what is missing when the session starts.
        `while_waiting`: work the parent readies on a thread of its own once either session's
        checks are over (the report writer's imports; shards.Readying), waited for once its
        own are; whatever it raises is ignored."""
        self.submission = submission
        self.while_waiting = while_waiting
        self._rubric = rubric
        self._seed = seed
        self.progress = progress
        self.deadline = deadline
        self.running = ""          # the check now running ("" between checks)
        self.deadline_hit = ""     # the check that was running when the deadline passed
        self.done: set[str] = set()  # checks whose outcome is final
        self._dataset = dataset
        self.profile = get_profile(rubric.profile)
        self.graded_release: Release | None = self.profile.release_for(submission, rubric.release)
        if self.graded_release is not None and self.graded_release.conventions:
            # The release implies its year's conventions; what the rubric set itself wins.
            implied = {k: v for k, v in self.graded_release.conventions.items()
                       if k in rubric.conventions and k not in rubric.conventions_set}
            self._rubric = dataclasses.replace(rubric, conventions={**rubric.conventions, **implied})
        self.not_assigned: list[NotAssignedPart] = []
        self._course_misses: dict[str, str] = {}  # check -> the marker's sentence
        # Instance attributes must not reuse a fixture's name: pytest finds the
        # fixtures by looking up attributes of this object.
        self.results: dict[str, CheckResult] = {}
        self.credits: dict[str, float] = {}
        self.report_data: dict[str, Any] = {}
        self._sandbox: Sandbox | None = None
        self._spares: list[Sandbox] = []  # workers launched for the other check session
        self._launched: Launched = workers or Launched([])
        self._started = False
        self._start_failure: BaseException | None = None
        self._seeds = DerandomizedSeeds(kept_seeds())  # each check's examples, as derandomized
        self.grader_failure = ""
        # Two sessions (grader.checks.shards): this one's half, the other half's checks, and
        # the child's pipe for progress ticks (the child) or the child itself (the parent).
        self.shards = 1
        self.shard = 0
        self.partner_checks: set[str] = set()
        self._tick_fd: int | None = None
        self._partner: Partner | None = None
        self._readying: Readying | None = None  # while_waiting, in the parent (shards.Readying)

    # -- fixtures -----------------------------------------------------------------
    @pytest.fixture(scope="session")
    def student(self) -> Iterator[Student]:
        sandbox = self._started_sandbox()
        try:
            yield Student(sandbox)
        finally:
            self._record_sandbox_facts(sandbox)
            sandbox.close()
            self._sandbox = None

    @pytest.fixture(autouse=True)
    def _deferred_requests_sent(self) -> Iterator[None]:
        """After each check, send the student calls it deferred (Sandbox.flush): their failure
        is this check's, never the next one's."""
        yield
        if self._sandbox is not None:
            try:
                self._sandbox.flush()
            except RunDeadlineReached:
                pass  # the run is over: no check runs after this one to see what they set

    @pytest.fixture(scope="session")
    def rubric(self) -> Rubric:
        return self._rubric

    @pytest.fixture(scope="session")
    def release(self) -> Release | None:
        """The release graded (Profile.release_for), or None for a profile without releases."""
        return self.graded_release

    @pytest.fixture(scope="session")
    def grading_seed(self) -> int:
        return self._seed

    @pytest.fixture(scope="session")
    def artifacts(self) -> dict[str, Any]:
        """Report data a check leaves for the writers (learning curve, confusion matrix)."""
        return self.report_data

    @pytest.fixture(scope="session")
    def dataset(self) -> Any:
        if self._dataset is not None:
            return self._dataset
        from grader.data import load_dataset

        training = self._rubric.training
        return load_dataset(training.dataset, seed=self._seed,
                            n_train=training.n_train, n_test=training.n_test)

    # -- hooks --------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        load_grading_settings(self._rubric.hypothesis_max_examples)
        # No report reads pytest's traceback text of a failed check (this plugin records the
        # outcome itself), and its default "long" style parses the AST of every file in the
        # traceback: ~0.2 s per failed check, most of the untouched template's time. --tb
        # belongs to the terminal plugin, which is off: the option is set here instead.
        config.option.tbstyle = "native"

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        kept: list[tuple[pytest.Item, str, list[str]]] = []  # (item, name, tags)
        unassigned: dict[str, None] = {}
        for item in items:
            name, item_tags = check_name(item), component_of(item) or ["other"]
            rule = self._rubric.checks.get(name)
            if rule is not None and not rule.enabled:
                continue
            missing = self.graded_release.missing_part(item_tags) if self.graded_release else None
            if missing is not None:
                unassigned[missing] = None
                continue
            if self._rubric.include_tags is not None and item_tags[0] not in self._rubric.include_tags:
                continue
            if self._rubric.public_only and visibility_of(name, item_tags[0], self._rubric) != "visible":
                continue
            kept.append((item, name, item_tags))
        items[:] = [item for item, _, _ in kept]
        for item in items:
            skip_database_key(item)
            fit_settings(item, self._rubric.hypothesis_max_examples, self._rubric.hypothesis_min_examples)
        # A check the graded release's own tests do test is not beyond the course there.
        beyond = {name: "" if self.graded_release is not None and self.graded_release.tests(name)
                  else marker_text(item, "beyond_course") for item, name, _ in kept}
        # A beyond-course check nobody scores is priced under no component: worth 0.
        points = max_points([(name, "" if beyond[name] and not self._scores_beyond(name) else item_tags[0])
                             for _, name, item_tags in kept], self._rubric)
        for number, (item, name, item_tags) in enumerate(kept, start=1):
            self.results[name] = CheckResult(
                name=name, title=self.profile.phrase(title_of(item)), max_score=points[name],
                tags=item_tags, number=str(number), beyond_course=self.profile.phrase(beyond[name]),
                visibility=visibility_of(name, item_tags[0], self._rubric))  # type: ignore[arg-type]
            if misses := marker_text(item, "course_misses"):
                self._course_misses[name] = self.profile.phrase(misses)
        why = self.graded_release.why if self.graded_release else ""
        priced = self._rubric.components
        self.not_assigned = [NotAssignedPart(component=tag, reason=why,
                                             points=priced[tag].points if tag in priced else 0.0)
                             for tag in unassigned]
        self._split(kept, items)
        if self.progress is not None:
            self.progress.start(total=len(kept), description="checks")

    def _scores_beyond(self, name: str) -> bool:
        """Whether the beyond-course check `name` earns its component's points: the rubric says
        so (score_beyond_course), else the profile's default."""
        if self._rubric.score_beyond_course is not None:
            return self._rubric.score_beyond_course
        return self.profile.beyond_course_points

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Everything alive now (modules, pytest, Hypothesis, the checks) lives for the whole
        # run: frozen, the cyclic collector stops rescanning it at every full collection
        # among the many short-lived objects of Hypothesis's examples. run_checks unfreezes.
        gc.freeze()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        name = check_name(item)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            result = self.results.get(name)
            if result is not None:
                self._not_run(result)
                self.done.add(name)
            if self.progress is not None:
                self.progress.advance(1)
            return True  # handled: the check is not run
        self.running = name
        self._seeds.apply(item)
        self._ensure_started()  # the submission's imports keep their own context in the ledger
        if self._sandbox is not None:
            self._sandbox.ledger.context = name
        return None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._seeds.save()

    def _not_run(self, result: CheckResult) -> None:
        during = f" while the check '{self.deadline_hit}' was running" if self.deadline_hit else ""
        result.status = "failed"
        result.message = (f"not run: the run's time limit ({self._rubric.limits.run_timeout_s:g} s, "
                          f"limits.run_timeout_s) was reached{during}; make the slow or hanging code "
                          "fast and every check will run")
        result.diagnoses = [Diagnosis("timeout", result.message)]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        yield
        if call.when == "call":
            self._seeds.learn(item)
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
        result.example = falsifying_example(exc, item)
        result.frames = student_frames(exc)
        if isinstance(exc, RunDeadlineReached):
            self.deadline_hit = self.deadline_hit or result.name
            result.status = "failed"
            result.message = (f"stopped: {exc.message} (limit {self._rubric.limits.run_timeout_s:g} s, "
                              "limits.run_timeout_s); the checks after this one were not run")
            result.diagnoses = [Diagnosis("timeout", result.message)]
            result.output = self._student_output()
        elif isinstance(exc, CallBlocked):
            # In the check where the function hung, Hypothesis's replay met the refusal:
            # report the hang itself there, the refusal everywhere after.
            failure = exc.first if exc.where == result.name else exc.failure
            result.status = "failed"
            result.diagnoses = [Diagnosis(failure.diagnosis, failure.message)]
            result.message = failure.message
            result.output = failure.output
            result.example = ""  # Hypothesis stopped at the refusal: no minimal example to show
        elif isinstance(exc, NotAssigned):
            result.status = "not-assigned"
            result.message = self.profile.phrase(exc.reason)
            result.example = ""
        elif isinstance(exc, CheckFailure):
            result.status = "failed"
            # Hints written once for every profile, said in the assignment's own words.
            result.diagnoses = [Diagnosis(d.id, self.profile.phrase(d.hint)) for d in exc.diagnoses]
            result.message = self.profile.phrase(exc.message)
            result.output = exc.output or self._student_output()
            self.credits[result.name] = exc.credit
            result.course_misses = (self.profile.phrase(exc.course_misses)
                                    or self._course_misses.get(result.name, ""))
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
        self.done.add(name_of(nodeid))
        self.running = ""
        tick(self._tick_fd)
        if self.progress is not None:
            self.progress.advance(1 + (self._partner.new_ticks() if self._partner is not None else 0))

    # -- the watchdog's view (runner._overrun_result, from another thread; stop_sandbox too) --
    def mark_unfinished_not_run(self) -> None:
        for name, result in list(self.results.items()):
            if name not in self.done:
                self._not_run(result)
                self.done.add(name)

    # -- the outcome --------------------------------------------------------------
    def finished_checks(self) -> list[CheckResult]:
        for result in self.results.values():
            if result.status == "not-assigned":
                result.max_score = 0.0  # no points either way: out of the maximum too
            if result.status == "error" and result.max_score:
                # The grader's own failure never costs the student: left out of the total.
                result.message += (f" (this check was worth {result.max_score:g} points; they are left "
                                   "out of the total)")
                result.max_score = 0.0
            apply_score(result, self.credits.get(result.name, 0.0))
        if self.deadline_hit:
            self.report_data["run_deadline"] = {"limit_s": self._rubric.limits.run_timeout_s,
                                                "running": self.deadline_hit}
        return list(self.results.values())


def run_checks(plugin: GradingPlugin) -> int:
    """Run every check module of the profile under `plugin`, in two sessions (this process
    and a child it forks after collection, grader.checks.shards); returns pytest's exit code."""
    started = time.perf_counter()
    try:
        with grading_hypothesis():
            plugin.shards = sessions()
            try:
                code: int = pytest.main(checks_args(plugin.profile.checks_dir), plugins=[plugin])
            except BaseException as exc:  # noqa: BLE001
                if plugin.shard:  # the child never returns into the runner
                    send_and_exit(plugin.tick_fd, lambda: {"grader_failure": f"{type(exc).__name__}: {exc}",
                                                           "code": INTERNAL_ERROR})
                raise
            if plugin.shard:
                send_and_exit(plugin.tick_fd, lambda: plugin.child_outcome(code))
            partner = plugin._partner
            if partner is not None:
                plugin.close_sandbox()
                plugin.readied()
                until = None if plugin.deadline is None else plugin.deadline + PARTNER_GRACE_S
                progress = plugin.progress
                outcome = partner.outcome(until, progress.advance if progress is not None else _ignore)
                code = plugin.merge_partner(outcome, code)
    finally:
        plugin.stop_partner()  # only if its outcome never came (an error here)
        plugin.readied()  # likewise: its thread and pipes end with the run
        plugin.close_sandbox()
        plugin.close_spares()
        plugin.close_launched()
        gc.unfreeze()  # a process that grades many submissions frees each run's objects
    plugin.report_data.setdefault("checks_wall_time_s", round(time.perf_counter() - started, 3))
    return int(code)


def _ignore(_: int) -> None:
    pass
