"""Blame the producer: a shape error raised where a wrong array was consumed (SGD, the training
loop) is retold to name the gradient of the wrong shape and the method that produced it.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from grader.checks.findings import shape_errors
from grader.checks.signatures.match import _numeric


def gradient_shape_problem(layers: Iterable[tuple[str, str, str, object, object]]) -> str:
    """The first gradient whose shape is not its parameter's, as a sentence, or "".

    `layers`: (layer label "Linear 1 of 2", gradient name "db", parameter name "b", the
    gradient, the parameter) as read from the student's objects; a gradient never set
    (None) is not judged. The contract in every profile: a gradient has its parameter's shape.
    """
    for label, grad_name, param_name, grad, param in layers:
        if grad is None or param is None or not _numeric(grad) or not _numeric(param):
            continue
        got, want = np.shape(grad), np.shape(param)
        if got == want:
            continue
        why = ""
        if len(got) == 2 and got == want[::-1]:
            why = ": it is the transpose (swap the product's operands or transpose it)"
        elif len(got) == len(want) + 1 and got[1:] == want:
            why = ": it keeps the batch axis (sum it over the batch, axis 0)"
        elif len(got) == len(want) and len(got) == 2 and got[1] == want[0] and want[1] == 1:
            why = ": it keeps the batch axis (sum it over the batch)"
        return (f"{label}'s {grad_name} has shape {got}; the contract is {want}, the shape of "
                f"{param_name}{why}")
    return ""


def is_shape_error(exc: BaseException) -> bool:
    """The student's code raised NumPy's shape error (broadcasting, matmul)."""
    from grader.sandbox import StudentException

    return (isinstance(exc, StudentException) and exc.exc_type == "ValueError"
            and any(m in exc.message for m in (*shape_errors.MARKERS, "broadcast")))


def blame_producer(exc: BaseException, problem: str, producer: str):
    """`exc` (a shape error raised by the function that consumed a wrong array) retold so it
    names the producer first: "Linear 1 of 2's db has shape (64, 64); the contract is (64,), ...
    Fix Linear.backward; the error came later, where the gradient was used: network.train()
    raised ValueError: ...".
    The student's frames stay those of `exc` (where it tripped). None if `problem` is empty."""
    from grader.sandbox import StudentException

    if not problem or not isinstance(exc, StudentException):
        return None
    tripped = exc.message.rstrip(". ")
    return StudentException(
        f"{problem}. Fix {producer}; the error came later, where the gradient was used: {tripped}.",
        exc_type=exc.exc_type, traceback=exc.traceback, diagnosis="shape-mismatch",
        output=exc.output, frames=exc.frames)


def blame_gradients(exc: BaseException, layers: list, pairs: tuple[tuple[str, str], ...],
                    producer: str = "Linear.backward"):
    """After a shape error `exc` raised downstream (the optimizer, the training loop): read the
    gradients `pairs` ((gradient, parameter) attribute names) of the student's Linear `layers`
    (RemoteObjects) and, if one has the wrong shape, `exc` retold to blame `producer`; else None."""
    from grader.sandbox import StudentFailure

    if not is_shape_error(exc):
        return None
    try:
        flows = [(f"Linear {i} of {len(layers)}", grad, param,
                  layer.get(grad) if layer.has(grad) else None, layer.get(param))
                 for i, layer in enumerate(layers, 1) for grad, param in pairs]
    except StudentFailure:
        return None
    return blame_producer(exc, gradient_shape_problem(flows), producer)
