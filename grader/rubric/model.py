"""A rubric as frozen dataclasses: limits, training, components, checks (validated by grader.rubric.validation)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.profiles import DEFAULT_PROFILE

#: Gradescope's visibility values (results.json "visibility").
VISIBILITIES: tuple[str, ...] = ("visible", "hidden", "after_due_date", "after_published")
ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "tanh")
CONTRACT_MODULES: tuple[str, ...] = ("layers", "losses", "optim", "network")
BUILTIN_RUBRICS: tuple[str, ...] = ("default", "selfcheck", "mytorch-hw1p1", "cs231n-fc")
#: `hypothesis_min_examples` when a rubric does not set it: no check's own floor is lowered.
DEFAULT_MIN_EXAMPLES = 5

CHECK_NAME = re.compile(r"^(test_\w+\.py)::(\w+)(\[.*\])?$")
MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class RubricError(Exception):
    """A rubric file is missing, malformed or invalid; the message names file, key and fix."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of the untrusted worker that runs the student's code."""

    call_timeout_s: float = 10.0        # wall time of one call into student code
    # Wall time of importing one student module, on its own clock: the same in
    # `grader run` and `grader check`, so a slow import gets one verdict in both.
    import_timeout_s: float = 20.0
    # Wall time one student function may use over all its calls in the component
    # checks; past it the function is too slow and later calls fail at once.
    function_budget_s: float = 30.0
    train_timeout_s: float = 120.0      # wall time of one whole train() call
    # Wall time of the whole grading run, start to finished report (Gradescope stops at 600 s).
    run_timeout_s: float = 300.0
    memory_mb: int = 512                # address-space limit of the worker, MiB
    cpu_time_s: float = 300.0           # CPU time of the worker over the whole run
    output_limit_bytes: int = 8192      # captured student stdout/stderr kept per check
    # Student output read over the whole run; past it the worker's output is discarded.
    output_budget_bytes: int = 4 << 20


@dataclass(frozen=True)
class TrainingConfig:
    """The end-to-end training check: the student's train() on MNIST."""

    dataset: str = "embedded"           # "embedded", another data-set name, or a file path
    n_train: int = 4000
    n_test: int = 1000
    hidden: tuple[int, ...] = (64,)
    activation: str = "relu"
    epochs: int = 8
    batch_size: int = 32
    lr: float = 0.1
    # Passing bar (grader.training.calibration.accuracy_threshold): at least min_accuracy
    # and within accuracy_margin of the reference trained the same way, but never
    # closer to the reference than accuracy_margin / 2 (a correct solution never fails).
    accuracy_margin: float = 0.03
    min_accuracy: float = 0.85
    time_budget_s: float = 30.0
    # cs231n-fc's extra runs: rmsprop and adam on `hidden`, and a deeper net (sgd_momentum).
    rmsprop_lr: float = 1e-2
    adam_lr: float = 3e-3
    deep_hidden: tuple[int, ...] = (64, 64)


@dataclass(frozen=True)
class ComponentRule:
    points: float
    visibility: str = "visible"


@dataclass(frozen=True)
class CheckRule:
    points: float | None = None
    visibility: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Rubric:
    name: str
    path: Path | None
    modules: tuple[str, ...]
    limits: Limits
    forbidden_imports: tuple[str, ...]
    hypothesis_max_examples: int
    seed: int
    training: TrainingConfig
    components: dict[str, ComponentRule] = field(hash=False)
    checks: dict[str, CheckRule] = field(hash=False)
    include_tags: tuple[str, ...] | None = None
    public_only: bool = False
    profile: str = DEFAULT_PROFILE
    # The profile's conventions (Profile.conventions), every key filled with its value.
    conventions: dict[str, str] = field(default_factory=dict, hash=False)
    # The [conventions] keys the file set itself (a release's implied conventions fill the rest).
    conventions_set: tuple[str, ...] = ()
    # `[conventions] release`: the release to grade as ("" = detect from the submission).
    release: str = ""
    # Whether checks marked beyond_course earn points (None: the profile's default).
    score_beyond_course: bool | None = None
    # The most examples a check's own floor may ask for (grader.checks.examples): a check's
    # share of `hypothesis_max_examples` never draws fewer than min(its floor, this).
    hypothesis_min_examples: int = DEFAULT_MIN_EXAMPLES

    # -- questions the runner asks -------------------------------------------------

    @property
    def total_points(self) -> float:
        return float(sum(rule.points for rule in self.components.values()))

    # -- copies ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The rubric as the TOML-shaped dict it was loaded from (``path`` excluded)."""
        raw: dict[str, Any] = {
            "name": self.name,
            "profile": self.profile,
            "modules": list(self.modules),
            "seed": self.seed,
            "hypothesis_max_examples": self.hypothesis_max_examples,
            "hypothesis_min_examples": self.hypothesis_min_examples,
            "forbidden_imports": list(self.forbidden_imports),
            "public_only": self.public_only,
            "limits": dataclasses.asdict(self.limits),
            "training": {**dataclasses.asdict(self.training), "hidden": list(self.training.hidden),
                         "deep_hidden": list(self.training.deep_hidden)},
            "conventions": ({key: self.conventions[key] for key in self.conventions_set}
                            | ({"release": self.release} if self.release else {})),
            "components": {t: dataclasses.asdict(r) for t, r in self.components.items()},
            "checks": {n: {k: v for k, v in dataclasses.asdict(r).items() if v is not None}
                       for n, r in self.checks.items()},
        }
        if self.include_tags is not None:
            raw["include_tags"] = list(self.include_tags)
        if self.score_beyond_course is not None:
            raw["score_beyond_course"] = self.score_beyond_course
        return raw

    def with_overrides(self, **overrides: Any) -> "Rubric":
        """A validated copy with some keys replaced.

        Keys are top-level fields (``seed=3``, ``public_only=True``), whole tables
        merged key by key (``training={"dataset": "mnist"}``), or dotted paths
        (``**{"training.dataset": "data/mnist.npz"}``). Invalid values raise
        RubricError exactly as in a file.
        """
        raw = self.to_dict()
        for key, value in overrides.items():
            if key == "path":
                continue
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = dataclasses.asdict(value)
            parts = key.split(".")
            target = raw
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            leaf = parts[-1]
            if isinstance(value, Mapping) and isinstance(target.get(leaf), dict):
                target[leaf] = {**target[leaf], **value}
            elif isinstance(value, tuple):
                target[leaf] = list(value)
            elif value is None and leaf == "include_tags":
                target.pop(leaf, None)
            else:
                target[leaf] = value
        # Looked up here: validation builds Rubric objects, so it imports this module.
        from grader.rubric.validation import build_rubric

        source = f"{self.path or self.name} (with overrides)"
        return build_rubric(raw, path=self.path, source=source)
