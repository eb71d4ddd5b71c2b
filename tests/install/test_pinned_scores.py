"""The upgrade guard itself: moved scores fail unless a new version explains them."""

from __future__ import annotations

import json

import pytest

import install_helpers
from install_helpers import check_pinned_scores


def _results(score: float) -> dict:
    return {"tests": [{"score": score, "tags": ["linear"], "extra_data": {"check": "test_linear.py::a"}},
                      {"score": 0.5, "tags": ["performance"], "extra_data": {"check": "test_time.py::b"}}]}


@pytest.fixture
def pinned(tmp_path, monkeypatch):
    path = tmp_path / "pinned.json"
    path.write_text(json.dumps({"version": "0.2.0", "scores": {"default": {"test_linear.py::a": 3.0}}}))
    monkeypatch.setattr(install_helpers, "PINNED", path)
    monkeypatch.setattr(install_helpers, "grader_version", lambda: "0.2.0")
    return path


def test_the_same_scores_pass_and_time_budgets_are_not_pinned(pinned):
    check_pinned_scores("default", _results(3.0))


def test_moved_scores_without_a_new_version_fail_with_what_to_do(pinned):
    with pytest.raises(AssertionError, match="bump grader.__version__.*CHANGELOG.md.*GRADER_UPDATE_GOLDEN=1"):
        check_pinned_scores("default", _results(2.0))


def test_moved_scores_with_a_new_version_in_the_changelog_pass(pinned, monkeypatch):
    monkeypatch.setattr(install_helpers, "grader_version", lambda: "0.1.0")  # a CHANGELOG.md section
    check_pinned_scores("default", _results(2.0))
    monkeypatch.setattr(install_helpers, "grader_version", lambda: "9.9.9")  # none
    with pytest.raises(AssertionError):
        check_pinned_scores("default", _results(2.0))
