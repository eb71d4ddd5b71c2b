"""An in-process stand-in for the sandbox, for developing checks quickly.

`pytest grader/profiles/default/checks -p tests.checks.fake_student --submission DIR` runs the check
modules with a `student` fixture that imports DIR's modules in this process and
copies every array across the "channel" (as the real sandbox does). Not used for
grading: the real runs go through grader.runner and the sandbox.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import grader.sandbox as sandbox_pkg

try:
    from grader.sandbox import Rng
except ImportError:  # before the sandbox package exports it
    from grader.sandbox.channel import Rng

    sandbox_pkg.Rng = Rng  # type: ignore[attr-defined]
if not hasattr(sandbox_pkg, "StudentFailure"):
    from grader.sandbox.errors import StudentFailure

    sandbox_pkg.StudentFailure = StudentFailure  # type: ignore[attr-defined]


def _to_worker(value: Any) -> Any:
    if isinstance(value, FakeRemote):
        return value._obj
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_worker(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_worker(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _to_grader(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, np.generic):
        return value.item() if not isinstance(value, np.floating) else value.copy()
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_grader(v) for v in value)
    return FakeRemote(value)


class FakeRemote:
    def __init__(self, obj: Any) -> None:
        self._obj = obj
        self.type_name = type(obj).__name__

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return FakeSandbox.current.run(getattr(self._obj, method), args, kwargs)

    def get(self, attr: str, *default: Any) -> Any:
        return _to_grader(getattr(self._obj, attr, *default))

    def set(self, attr: str, value: Any) -> None:
        setattr(self._obj, attr, _to_worker(value))

    def has(self, attr: str) -> bool:
        return hasattr(self._obj, attr)


class FakeSandbox:
    current: "FakeSandbox"

    def __init__(self, submission: Path) -> None:
        self.submission = submission
        self.modules: dict[str, Any] = {}
        self.last_output = ""
        FakeSandbox.current = self
        sys.path.insert(0, str(submission))
        for name in ("layers", "losses", "optim", "network"):
            sys.modules.pop(name, None)

    def module(self, name: str) -> Any:
        if name not in self.modules:
            self.modules[name] = importlib.import_module(name)
        return self.modules[name]

    def run(self, fn: Any, args: tuple, kwargs: dict) -> Any:
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out), np.errstate(all="ignore"):
            result = fn(*_to_worker(args), **_to_worker(kwargs))
        self.last_output = out.getvalue()
        return _to_grader(result)

    def new(self, module: str, cls: str, *args: Any, **kwargs: Any) -> FakeRemote:
        obj = self.run(getattr(self.module(module), cls), args, kwargs)
        return obj

    def call(self, module: str, function: str, *args: Any, **kwargs: Any) -> Any:
        return self.run(getattr(self.module(module), function), args, kwargs)


class FakeStudent:
    def __init__(self, sandbox: FakeSandbox) -> None:
        self.sandbox = sandbox

    def new(self, module: str, cls: str, *args: Any, **kwargs: Any) -> Any:
        return self.sandbox.new(module, cls, *args, **kwargs)

    def call(self, module: str, function: str, *args: Any, **kwargs: Any) -> Any:
        return self.sandbox.call(module, function, *args, **kwargs)

    @property
    def output(self) -> str:
        return self.sandbox.last_output


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--submission", default=str(Path(__file__).resolve().parents[2] / "reference"))
    parser.addoption("--real-sandbox", action="store_true", help="use grader.sandbox, not the fake")


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile("fake", derandomize=True, database=None, deadline=None,
                              max_examples=50, report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    settings.load_profile("fake")


@pytest.fixture(scope="session")
def student(pytestconfig: pytest.Config):
    submission = Path(pytestconfig.getoption("--submission")).resolve()
    if pytestconfig.getoption("--real-sandbox"):
        from grader.checks.student import Student
        from grader.sandbox import Sandbox

        sandbox = Sandbox(submission)
        yield Student(sandbox)
        sandbox.close()
        return
    yield FakeStudent(FakeSandbox(submission))


@pytest.fixture(scope="session")
def grading_seed() -> int:
    return 0


@pytest.fixture(scope="session")
def rubric() -> Any:
    class _R:
        hypothesis_max_examples = 50
        seed = 0
    return _R()
