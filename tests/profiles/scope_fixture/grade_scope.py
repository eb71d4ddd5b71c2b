"""Grade one submission with the throwaway `scope-test` profile and write every report.

    python grade_scope.py SUBMISSION RUBRIC.toml OUT_DIR

Run as a subprocess by test_course_scope.py (grading runs pytest in-process). Registers the
profile (it lives beside this file, never in grader/profiles), grades, and writes
result.json plus report.{txt,md,html,xml} and results.json (Gradescope) into OUT_DIR.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    import grader.profiles as profiles
    import grader.rubric as rubric_module
    import grader.rubric.validation as rubric_validation

    profiles._PACKAGES["scope-test"] = "scope_profile"
    profiles.PROFILE_NAMES = rubric_validation.PROFILE_NAMES = tuple(profiles._PACKAGES)

    from grader.reports import render
    from grader.runner import grade

    submission, rubric_file, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rubric = rubric_module.loads_rubric(rubric_file.read_text(), name="scope-test")
    result = grade(submission, rubric)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps({**result.to_dict(), "score": result.score,
                                                 "max_score": result.max_score}))
    for fmt, name in (("text", "report.txt"), ("markdown", "report.md"), ("html", "report.html"),
                      ("junit", "report.xml"), ("json", "results.json")):
        (out / name).write_text(render(result, fmt))


if __name__ == "__main__":
    main()
