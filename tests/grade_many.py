"""Grade several submissions one after another in THIS process (tests run it as a subprocess).

    python tests/grade_many.py JOBS.json RESULTS.json

JOBS.json: [{"key", "dir", "rubric", "overrides", "self_check"}, ...] (see grading_helpers.job);
"self_check": the rubric held to the self-check's budget, as `grader check` grades.
RESULTS.json: {key: GradingResult.to_dict() + {"score", "max_score", "seconds", "error"}}.
A job that raises is reported with its traceback; the others go on.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path


def main() -> None:
    from grader.rubric import load_rubric
    from grader.runner import grade
    from grader.selfcheck import self_check_rubric

    results: dict[str, dict] = {}
    for job in json.loads(Path(sys.argv[1]).read_text()):
        started = time.perf_counter()
        try:
            rubric = load_rubric(job["rubric"])
            if job.get("self_check"):
                rubric = self_check_rubric(rubric)
            if job["overrides"]:
                rubric = rubric.with_overrides(**job["overrides"])
            result = grade(Path(job["dir"]), rubric)
            entry = result.to_dict()
            entry.update(score=result.score, max_score=result.max_score,
                         error=result.grader_error)
        except Exception:  # report it and go on with the other jobs
            entry = {"checks": [], "score": 0.0, "max_score": 0.0, "error": traceback.format_exc()}
        entry["seconds"] = round(time.perf_counter() - started, 2)
        results[job["key"]] = entry
    Path(sys.argv[2]).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
