"""The contract's names exist: the four modules import, and every required class and
function is there, constructs or runs, and has its methods (tag api).

A module that does not import surfaces as the sandbox's `import-error` (or
`forbidden-import`); a missing name, or one that raises NotImplementedError, as
`missing-api`. A name that exists but crashes is left to the component checks.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.framework import fail, tags, title
from grader.checks.stubs import stubbed
from grader.sandbox import Rng, StudentFailure

CLASSES = {
    ("layers", "Linear"): ((3, 2), {"rng": Rng(0)}, ["forward", "backward"]),
    ("layers", "ReLU"): ((), {}, ["forward", "backward"]),
    ("layers", "Sigmoid"): ((), {}, ["forward", "backward"]),
    ("layers", "Tanh"): ((), {}, ["forward", "backward"]),
    ("losses", "SoftmaxCrossEntropy"): ((), {}, ["forward", "backward"]),
    ("losses", "MSELoss"): ((), {}, ["forward", "backward"]),
    ("optim", "SGD"): (([],), {"lr": 0.1}, ["step"]),
    ("network", "MLP"): (([3, 4, 2],), {"rng": Rng(0)}, ["forward", "backward", "predict"]),
}
FUNCTIONS = [("losses", "softmax"), ("network", "train")]


@title("{module}.py imports without errors")
@tags("api")
@pytest.mark.parametrize("module", ["layers", "losses", "optim", "network"])
def test_module_imports(student, module):
    """The module imports cleanly (no syntax error, no exception or exit at import time)."""
    # It passes when the import works, the untouched template's too: the stubs are the
    # other checks' business (a check titled "imports without errors" that FAILs on a file
    # that imports would be false; the first-run report says what to implement first).
    student.sandbox.import_module(module)


@title("{module}.{name}: class exists with its methods")
@tags("api")
@pytest.mark.parametrize("module,name", list(CLASSES), ids=[f"{m}.{n}" for m, n in CLASSES])
def test_class_exists(student, module, name):
    """The class exists, constructs with the contract's arguments and has the contract's methods."""
    args, kwargs, methods = CLASSES[(module, name)]
    _fail_if_stub(student, module, name, methods)
    try:
        obj = student.new(module, name, *args, **kwargs)
    except StudentFailure as exc:
        if exc.diagnosis in ("missing-api", "import-error", "forbidden-import"):
            raise
        return  # it exists but fails: the component checks say why
    missing = [m for m in methods if not obj.has(m)]
    if missing:
        fail("missing-api", f"{module}.{name} has no method {', '.join(missing)}: the contract "
             f"requires {', '.join(methods)}")


@title("{module}.{name}: function exists and runs")
@tags("api")
@pytest.mark.parametrize("module,name", FUNCTIONS, ids=[f"{m}.{n}" for m, n in FUNCTIONS])
def test_function_exists(student, module, name):
    """The function exists and runs on a tiny input without NotImplementedError."""
    _fail_if_stub(student, module, name, None)
    try:
        if name == "softmax":
            student.call(module, name, np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]))
        else:
            model = student.new("network", "MLP", [2, 3, 2], rng=Rng(0))
            X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
            y = np.array([0, 1, 1, 0])
            student.call(module, name, model, X, y, epochs=1, batch_size=2, lr=0.1, rng=Rng(0))
    except StudentFailure as exc:
        if exc.diagnosis in ("missing-api", "import-error", "forbidden-import"):
            raise


def _fail_if_stub(student, module: str, name: str, methods: list[str] | None) -> None:
    """The template's `raise NotImplementedError` bodies are not an implementation.

    Checked on the source, before any call: a stubbed method is only raised when
    called, so a class of stubs would otherwise construct and pass.
    """
    student.sandbox.import_module(module)  # an import failure is reported as such, first
    stubs = stubbed(student.sandbox.submission_dir, module, name, methods)
    if stubs:
        one = len(stubs) == 1
        fail("missing-api", f"{module}.py: {', '.join(stubs)} still only raise{'s' if one else ''} "
             f"NotImplementedError (the template's stub); implement {'it' if one else 'them'} "
             "to earn this check")
