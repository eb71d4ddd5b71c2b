"""Grade several submissions, one after another, in THIS process (run it as a subprocess).

    python tests/mutants/grade_many.py JOBS.json RESULTS.json

JOBS.json: [{"dir": "...", "tags": ["linear"]}, ...]; each is graded by
`grader.runner.grade` under the default rubric restricted to `tags`
(`include_tags`). RESULTS.json: {dir: {"checks": [...], "score", "max_score",
"error"}}. The runner calls pytest.main in-process, which is why the mutant
tests never call it from their own pytest process.
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

    jobs = json.loads(Path(sys.argv[1]).read_text())
    results: dict[str, dict] = {}
    base = load_rubric("default")
    for job in jobs:
        started = time.perf_counter()
        try:
            rubric = base.with_overrides(include_tags=tuple(job["tags"]))
            result = grade(Path(job["dir"]), rubric)
            results[job["dir"]] = {
                "checks": [{"name": c.name, "status": c.status, "tags": c.tags,
                            "diagnoses": [d.id for d in c.diagnoses],
                            "hints": [d.hint for d in c.diagnoses], "message": c.message,
                            "example": c.example, "score": c.score, "max_score": c.max_score}
                           for c in result.checks],
                "score": result.score, "max_score": result.max_score, "error": result.grader_error,
                "seconds": round(time.perf_counter() - started, 2)}
        except Exception:  # report, do not stop the batch
            results[job["dir"]] = {"checks": [], "score": 0.0, "max_score": 0.0,
                                   "error": traceback.format_exc(), "seconds": 0.0}
    Path(sys.argv[2]).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
