"""The words every format prints as headings and labels, in one place.
"""

from __future__ import annotations

STATUS_LABEL = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP",
                "not-assigned": "N/A"}
BEYOND_HEADING = "Beyond the course's own tests"
NOT_ASSIGNED_HEADING = "Not part of this assignment"
COURSE_MISSES_LABEL = "Not caught by the course's own tests"
STUDENT_OUTPUT_LABEL = "Output printed by your code (your program's own stdout/stderr, not the grader's)"
EXAMPLE_LABEL = "Smallest failing input found"
WHERE_LABEL = "Where in your code"  # the student's frames, innermost last
# A symptom's frames: where code tripped over the bad value (SGD.step over Linear's dLdW), which
# is not where the bug is; "Where in your code" sent students to the wrong function.
TRIPPED_LABEL = "Where your code tripped over it"
MESSAGE_LABEL = "What went wrong"  # the check's message: what it got against what it expected
FIX_LABEL = "How to fix it"
SYMPTOMS_LABEL = "And therefore (these follow from it)"
PROBABLE_LABEL = "Probably also causes (fix this first, then re-run)"
