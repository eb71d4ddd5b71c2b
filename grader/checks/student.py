"""The `student` fixture: the submission as the checks see it, running in the sandbox."""

from __future__ import annotations

from typing import Any

from grader.sandbox import RemoteObject, Sandbox


class Student:
    """A thin face over the Sandbox, so a check reads like the contract it tests.

    `student.new("layers", "Linear", 3, 5, rng=Rng(0))` constructs in the worker;
    `student.call("losses", "softmax", logits)` calls a module function.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def new(self, module: str, cls: str, *args: Any, **kwargs: Any) -> RemoteObject:
        return self.sandbox.new(module, cls, *args, **kwargs)

    def call(self, module: str, function: str, *args: Any, **kwargs: Any) -> Any:
        return self.sandbox.call(module, function, *args, **kwargs)

    def new_then(self, module: str, cls: str, calls: list[tuple[str, tuple[Any, ...]]],
                 *args: Any) -> tuple[RemoteObject, list[Any]]:
        """`obj = new(module, cls, *args)` and `[obj.call(method, *a) for method, a in calls]`, in
        one round trip: (obj, the calls' values)."""
        plan = self.sandbox.plan()
        obj = plan.new(module, cls, *args)
        steps = [plan.method(obj, method, *call_args) for method, call_args in calls]
        plan.run()
        return obj.value, [step.value for step in steps]

    def __repr__(self) -> str:
        # Shown in Hypothesis's falsifying examples: stable, so reports are reproducible.
        return "student"

    @property
    def mutated(self) -> tuple[int | str, ...]:
        """The arguments (position, or keyword name) whose arrays the last call changed in
        place; `grader.checks.mutation.expect_unmodified` turns them into a finding."""
        return self.sandbox.last_mutated

    @property
    def output(self) -> str:
        """What the student's code printed during the last call (truncated)."""
        return self.sandbox.last_output
