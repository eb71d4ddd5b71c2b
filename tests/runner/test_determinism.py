"""Grading is deterministic: the same submission gets the same report in two separate runs
(Hypothesis derandomized with no example database, every seed fixed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_helpers import describe, grade_in_subprocesses, job, make_submission

BUGS = {
    "layers.py": [("return np.where(self._mask, grad_out, 0.0)",
                   "return np.where(grad_out > 0, grad_out, 0.0)")],
    "losses.py": [("return float(-log_p[np.arange(n), self._y].mean())",
                   "return float(-log_p[np.arange(n), self._y].sum())")],
}
#: Everything in a check's outcome except how long it took.
STABLE = ("name", "status", "score", "max_score", "tags", "visibility", "diagnoses", "message",
          "example", "output")


@pytest.mark.slow
def test_two_runs_give_the_same_report(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "buggy", BUGS)
    runs = grade_in_subprocesses([job("first", sub), job("second", sub)], tmp_path)
    first, second = runs["first"], runs["second"]
    assert not first["error"] and first["score"] < first["max_score"], describe(first)
    assert first["score"] == second["score"]
    for a, b in zip(first["checks"], second["checks"], strict=True):
        assert {k: a[k] for k in STABLE} == {k: b[k] for k in STABLE}, a["name"]
    ids = {d["id"] for c in first["checks"] for d in c["diagnoses"]}
    assert {"relu-mask", "loss-reduction"} <= ids, describe(first)
    assert first["artifacts"]["test_accuracy"] == second["artifacts"]["test_accuracy"]
