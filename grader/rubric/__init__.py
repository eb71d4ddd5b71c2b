"""Rubrics: a TOML file that says what is graded, for how many points, under which limits.

`load_rubric(path)` parses the file with :mod:`tomllib` and validates every key
into frozen dataclasses. Anything wrong raises :class:`RubricError` whose
message names the file, the dotted key and the fix, because instructors meet
these errors on a CI log, not in a debugger::

    rubrics/x.toml: limits.memory_mb = -5 must be a positive integer (MiB); e.g. memory_mb = 512

The file layout (see ``rubrics/default.toml`` for a commented example)::

    name = "mlp-default"              # top-level keys first (TOML rule)
    profile = "default"               # the assignment (grader/profiles); `grader profiles` lists them
    modules = ["layers", "losses", "optim", "network"]
    seed = 0
    hypothesis_max_examples = 60
    hypothesis_min_examples = 5       # optional; caps a costly check's own floor of examples
    forbidden_imports = ["torch", "tensorflow", ...]
    public_only = false
    include_tags = ["linear", "relu"]  # optional; absent = every component

    [limits]        call_timeout_s, import_timeout_s, function_budget_s, train_timeout_s,
                    run_timeout_s, memory_mb, cpu_time_s, output_limit_bytes, output_budget_bytes
    [training]      dataset, n_train, n_test, hidden, activation, epochs, batch_size, lr,
                    accuracy_margin, min_accuracy, time_budget_s; cs231n-fc also reads
                    rmsprop_lr, adam_lr, deep_hidden
    score_beyond_course = false        # optional; checks marked beyond_course earn points too
    [conventions]   the profile's year conventions (cs231n-fc: dropout_p = "keep" | "drop" | "detect");
                    release = "<name>" grades as that release instead of the detected one
    [components.<tag>]              points, visibility
    [checks."test_x.py::test_y"]    points, visibility, enabled

Scoring semantics (implemented in :mod:`grader.scoring`, which the runner uses):

* ``components.<tag>.points`` is split evenly over the selected checks whose
  first tag is ``<tag>``.
* ``checks."<name>".points`` prices that one check on its own, outside its
  component's budget (names are exact, parameters included:
  ``test_x.py::test_y[relu]``).
* A tag without a ``[components.<tag>]`` entry is worth 0 points: its checks
  still run and their diagnoses are still reported.
* Visibility (Gradescope's vocabulary): a check's own ``visibility`` wins, then
  its component's, then ``"visible"``. ``public_only = true`` (``grader
  check``) drops every check that is not ``"visible"``; ``include_tags``
  keeps only the checks of those components; ``enabled = false`` drops one check.
* A check marked ``beyond_course`` (it tests what the course's own tests do not)
  is worth 0 points in a course profile (``Profile.beyond_course_points`` False)
  unless ``score_beyond_course = true`` or its own ``checks."<name>".points``
  prices it; in the default profile it is scored like any other check.
* A release (detected, or ``[conventions] release``) that does not assign a
  component leaves that component's checks out and its points out of the total.

The package: `model` (the dataclasses), `validation` (raw TOML to a Rubric, with
the messages) and `loading` (finding and reading the file); import from here.
"""

from __future__ import annotations

from grader.rubric.loading import load_rubric, loads_rubric, resolve_rubric_path, rubrics_dir
from grader.rubric.model import (ACTIVATIONS, BUILTIN_RUBRICS, CONTRACT_MODULES, VISIBILITIES, CheckRule,
                                 ComponentRule, Limits, Rubric, RubricError, TrainingConfig)
from grader.vocabulary import TAGS

__all__ = ["ACTIVATIONS", "BUILTIN_RUBRICS", "CONTRACT_MODULES", "TAGS", "VISIBILITIES", "CheckRule",
           "ComponentRule", "Limits", "Rubric", "RubricError", "TrainingConfig", "load_rubric", "loads_rubric",
           "resolve_rubric_path", "rubrics_dir"]
