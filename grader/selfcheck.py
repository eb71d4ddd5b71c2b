"""The self-check's budget: `grader check` is quick feedback, `grader run` is the grade.

The built-in `selfcheck` rubric (rubrics/selfcheck.toml) is the one place that says how
much a self-check does: how many Hypothesis examples per property and how big a training
run. The default profile's self-check is that rubric itself; a course profile's self-check
is the profile's own rubric held to the same budget (fewer examples, a smaller training
run with the self-check's looser accuracy bar), so checking a MyTorch or CS231n handout is
as quick as checking the default assignment. What is checked does not change: the same
checks, only fewer examples and a smaller data set.
"""

from __future__ import annotations

from grader.rubric import Rubric, load_rubric

#: The built-in rubric whose sizes bound every self-check.
SELF_CHECK_RUBRIC = "selfcheck"


def self_check_rubric(rubric: Rubric) -> Rubric:
    """`rubric` for `grader check`: public checks only, within the self-check's budget."""
    budget = load_rubric(SELF_CHECK_RUBRIC)
    ours, theirs = rubric.training, budget.training
    return rubric.with_overrides(
        public_only=True,
        hypothesis_max_examples=min(rubric.hypothesis_max_examples, budget.hypothesis_max_examples),
        hypothesis_min_examples=min(rubric.hypothesis_min_examples, budget.hypothesis_min_examples),
        training={"n_train": min(ours.n_train, theirs.n_train),
                  "n_test": min(ours.n_test, theirs.n_test),
                  "epochs": min(ours.epochs, theirs.epochs),
                  # Fewer images, a noisier accuracy: the self-check's looser bar.
                  "accuracy_margin": max(ours.accuracy_margin, theirs.accuracy_margin),
                  "min_accuracy": min(ours.min_accuracy, theirs.min_accuracy)})
