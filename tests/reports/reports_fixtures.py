"""GradingResults the report tests render: all passed, mixed with nasty student text, grader error.

Deterministic on purpose (no clocks, no randomness): golden files depend on them.
"""

from __future__ import annotations

import re

from grader.results import CheckResult, Diagnosis, GradingResult, NotAssignedPart

_PNG_DATA = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def mask_images(text: str) -> str:
    """PNG bytes depend on the matplotlib/freetype build; the HTML around them must not."""
    return _PNG_DATA.sub("data:image/png;base64,<PNG>", text)

# Student output that tries everything: closing XML/HTML tags, Markdown
# fences, a script, terminal escapes (colour, clear screen, window title via
# OSC), C0 controls invalid in XML, a lone surrogate, a bidi override, a CDATA
# terminator and rich markup.
WEIRD_OUTPUT = (
    "epoch 1 loss nan\n"
    "</failure></testcase></testsuite><testcase name=\"pwned\"/>\n"
    "```\n# Injected heading\n```\n"
    "<script>alert('xss')</script> & <img src=x onerror=alert(1)>\n"
    "\x1b[31mred text\x1b[0m \x1b[2J\x1b]0;evil title\x07done\n"
    "ctrl:\x00\x01\x07\x08\x0b\x0c\x7f\x9b|end\n"
    "surrogate:\udcff bidi:\u202eevil\u202c ]]> [bold]not markup[/bold]\n"
    "progress 10%\rprogress 100%\r\n"
    "| pipe | table |"
)

LONG_OUTPUT = "".join(f"line {i}: " + "x" * 60 + "\n" for i in range(200))

LEARNING_CURVE = {
    "student": [2.30, 1.20, 0.71, 0.52, 0.43, 0.38],
    "reference": [2.30, 1.05, 0.62, 0.45, 0.37, 0.33],
}


def _diag_confusion(hits: int, miss: int) -> list[list[int]]:
    return [[hits if i == j else (miss if (i + 1) % 10 == j else 0) for j in range(10)] for i in range(10)]


def all_passed() -> GradingResult:
    checks = [
        CheckResult("Network exposes forward, backward and parameters", 2, 2, tags=["api"], number="1.1",
                    duration_s=0.012),
        CheckResult("Linear forward matches the definition", 3, 3, tags=["linear"], number="2.1", duration_s=0.4),
        CheckResult("Linear backward matches numerical gradient", 5, 5, tags=["linear", "mlp"], number="2.2",
                    duration_s=1.25),
        CheckResult("ReLU forward and backward", 2, 2, tags=["relu"], number="3.1", duration_s=0.2),
        CheckResult("Softmax is stable for large logits", 2, 2, tags=["softmax"], number="4.1", duration_s=0.3),
        CheckResult("Cross-entropy mean over the batch", 2, 2, tags=["cross-entropy"], number="5.1"),
        CheckResult("SGD step moves against the gradient", 2, 2, tags=["sgd"], number="6.1"),
        CheckResult("MNIST subset accuracy above 90%", 10, 10, tags=["training"], number="7.1", duration_s=41.5,
                    message="accuracy 0.947 (bar 0.90)"),
    ]
    return GradingResult(
        submission="alice/mlp.py",
        checks=checks,
        execution_time_s=58.26,
        rubric="hw2-mlp",
        seed=1234,
        artifacts={
            "learning_curve": LEARNING_CURVE,
            "confusion_matrix": _diag_confusion(95, 5),
            "test_accuracy": 0.947,
            "reference_accuracy": 0.962,
        },
    )


def mixed() -> GradingResult:
    checks = [
        CheckResult("Network exposes forward, backward and parameters", 2, 2, tags=["api"], number="1.1"),
        CheckResult(
            "Linear backward matches numerical gradient", 5, 0, status="failed", tags=["linear"], number="2.2",
            diagnoses=[
                Diagnosis("bias-gradient-not-summed",
                          "Sum the bias gradient over the batch axis: `db = dout.sum(axis=0)`."),
                Diagnosis("gradient-scale", "Your dW is N times too large: divide by the batch size once."),
            ],
            message="db has shape (4, 3), expected (3,) | max abs error 2.5e+00 *bold*",
            example="Falsifying example: test_linear_backward(\n    N=4, D=2, H=3, seed=0,\n)",
            output=WEIRD_OUTPUT,
            duration_s=0.731,
        ),
        CheckResult(
            "Softmax is stable for large logits", 2, 0, status="error", tags=["softmax"], number="4.1",
            diagnoses=[Diagnosis("softmax-overflow", "Subtract the row max before `np.exp` (x - x.max(axis=1, keepdims=True)).")],
            message="RuntimeWarning: overflow encountered in exp\nTraceback (most recent call last):\n  File \"mlp.py\", line 12",
            output=LONG_OUTPUT,
        ),
        CheckResult("Cross-entropy mean over the batch", 2, 2, tags=["cross-entropy"], number="5.1"),
        CheckResult("SGD updates every parameter", 2, 0, status="skipped", tags=["sgd"], number="6.1",
                    message="skipped: the network could not be built"),
        CheckResult(
            "Training learns all classes", 10, 2.5, status="failed", tags=["training"], number="7.1",
            diagnoses=[Diagnosis("single-class-collapse",
                                 "Predictions concentrate on one class: check the softmax axis and the init scale.")],
            message="accuracy 0.113 (bar 0.90); 96% of predictions are class 1",
        ),
        CheckResult("Hidden robustness check", 0, 0, status="failed", tags=["robustness"], number="8.1",
                    visibility="hidden", diagnoses=[Diagnosis("input-mutation", "Do not modify x in place.")],
                    message="SECRET hidden detail"),
        CheckResult("Performance after due date", 3, 3, tags=["performance"], number="9.1",
                    visibility="after_due_date", message="AFTER-DUE detail"),
        CheckResult("Published-only MSE check", 1, 0, status="failed", tags=["mse"], number="10.1",
                    visibility="after_published", diagnoses=[Diagnosis("loss-reduction", "Average, not sum.")],
                    message="PUBLISHED-ONLY detail"),
    ]
    collapse = [[0] * 10 for _ in range(10)]
    for i in range(10):
        collapse[i][1] = 90
        collapse[i][i] += 10
    return GradingResult(
        submission="bob/<b>mlp</b>.py",
        checks=checks,
        execution_time_s=73.5,
        rubric="hw2-mlp",
        seed=7,
        artifacts={
            "learning_curve": {"student": [2.3, 2.29, 2.31, 2.3, None, 2.3], "reference": LEARNING_CURVE["reference"]},
            "confusion_matrix": collapse,
            "predicted_histogram": [10, 910, 10, 10, 10, 10, 10, 10, 10, 10],
            "label_histogram": [100] * 10,
            "per_class_recall": [0.1, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
            "per_class_precision": [1.0, 0.10989, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "test_accuracy": 0.113,
            "reference_accuracy": 0.962,
        },
    )


def grader_error() -> GradingResult:
    return GradingResult.from_grader_error(
        "carol/mlp.py",
        "sandbox worker died: BrokenPipeError: [Errno 32] Broken pipe <in worker 3>",
        checks=[
            CheckResult("Network exposes forward, backward and parameters", 2, 2, tags=["api"], number="1.1"),
            CheckResult("Linear forward matches the definition", 3, 3, tags=["linear"], number="2.1"),
        ],
        execution_time_s=12.0,
        rubric="hw2-mlp",
        seed=1,
    )


def course_scope() -> GradingResult:
    """A course profile's run: a release graded, a component it does not assign, checks
    beyond the course's own tests (one failing, no points), a check-level not-assigned,
    and a scored failure the course's own tests miss."""
    return GradingResult(
        submission="dana/assignment1",
        checks=[
            CheckResult("test_layers.py::test_relu_forward", 5, 5, tags=["relu"], number="1",
                        title="relu_forward: values"),
            CheckResult("test_optim.py::test_momentum", 5, 0, status="failed", tags=["momentum"],
                        number="2", title="sgd_momentum: one step",
                        diagnoses=[Diagnosis("momentum-state", "the bias velocity is updated from "
                                             "dw: use db for the bias")],
                        message="v for b differs from mu * v - lr * db",
                        course_misses="the course's autograder gives 100/100 to this bug"),
            CheckResult("test_layers.py::test_relu_keeps_input", 0, 0, status="failed", tags=["relu"],
                        number="3", title="relu_forward: leaves x unchanged",
                        beyond_course="the course's own tests never look at x after the call",
                        diagnoses=[Diagnosis("input-mutation", "relu_forward changes its input x in "
                                             "place at cs231n/layers.py line 12: `x[x < 0] = 0`")]),
            CheckResult("test_layers.py::test_softmax_large", 0, 0, tags=["softmax"], number="4",
                        title="softmax_loss: large scores",
                        beyond_course="the course's own tests never try |x| near 1e3"),
            CheckResult("test_layers.py::test_copy", 0, 0, status="not-assigned", tags=["relu"],
                        number="5", title="relu_forward: returns a copy",
                        message="the 2022 handout says nothing about copies"),
        ],
        execution_time_s=3.2,
        rubric="cs231n-fc",
        seed=7,
        release="CS231n 2022 assignment1",
        release_why="layers.py has no batchnorm_forward and fc_net.py has TwoLayerNet only",
        not_assigned=[NotAssignedPart("batchnorm", "layers.py has no batchnorm_forward and fc_net.py "
                                      "has TwoLayerNet only", 10.0)],
    )


RESULTS = {"all_passed": all_passed, "mixed": mixed, "grader_error": grader_error,
           "course_scope": course_scope}
