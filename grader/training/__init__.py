"""Trusted grader-side helpers of the training checks (grader/profiles/default/checks/test_training.py).

- stats.py: cross-entropy, accuracy, confusion matrix, single-class-collapse statistics
- calibration.py: the reference trained the same way, the accuracy-bar rule, reference
  forward/gradients on given weights
- instrument.py: the student's loop reconstructed from spy logs (updates, batch sizes,
  which rows went into which batch) and the verdicts drawn from it
- steps.py: one full-batch epoch must be one SGD step; naming the scale of the step
- loop.py: the grader's own SGD loop driving the student's layers
- session.py: every experiment, run once per submission, with a workload plan for slow code
"""
