"""grader.exitcodes: the one mapping from a finished run to an exit status."""

from __future__ import annotations

import pytest

from grader import exitcodes
from grader.exitcodes import exit_code_for
from grader.results import GradingResult

from cli_helpers import make_result


def test_codes_are_the_documented_ones() -> None:
    assert (exitcodes.OK, exitcodes.BELOW_THRESHOLD, exitcodes.BAD_INPUT, exitcodes.GRADER_FAILURE) == (0, 1, 2, 3)
    doc = exitcodes.__doc__ or ""
    for code in ("0", "1", "2", "3"):
        assert f"\n{code}  " in doc


@pytest.mark.parametrize("fail_under, code", [(None, 0), (0, 0), (74.9, 0), (75, 0), (75.1, 1), (100, 1)])
def test_fail_under_is_a_percentage(fail_under: float | None, code: int) -> None:
    result = make_result(passed=3, failed=1)  # 30 / 40 = 75 %
    assert result.percent == 75.0
    assert exit_code_for(result, fail_under) == code


def test_grader_error_wins() -> None:
    failed = GradingResult.from_grader_error("sub", "boom")
    assert exit_code_for(failed, None) == 3
    assert exit_code_for(failed, 0) == 3


def test_empty_result_is_zero_percent() -> None:
    assert exit_code_for(GradingResult(submission="s"), 1) == 1
    assert exit_code_for(GradingResult(submission="s"), None) == 0
