"""The reference implementation of the student contract: the grader's source of truth.

Every comparison and score is computed against these modules, in the grader's
own process. They also form a complete, correct submission (`grader run reference/`).
"""
