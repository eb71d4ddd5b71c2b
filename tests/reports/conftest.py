"""Golden-file helper for the report tests.

Regenerate with `GRADER_UPDATE_GOLDEN=1 pytest tests/reports`, then read the
diff (`git diff tests/reports/golden`) before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def _updating() -> bool:
    return os.environ.get("GRADER_UPDATE_GOLDEN", "") not in ("", "0")


@pytest.fixture
def golden():
    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if _updating():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; create it with GRADER_UPDATE_GOLDEN=1")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, (
            f"{name} differs from its golden file; if the change is intended, "
            "regenerate with GRADER_UPDATE_GOLDEN=1 and review the diff"
        )

    return check
