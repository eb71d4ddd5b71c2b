"""Failure signatures every profile shares: which known bug explains the difference from the
reference? Each is a small pure function on arrays (what the student returned, what the
reference returns on the same input, and the input) that returns a `Diagnosis` when the
difference has its shape, and None otherwise; one module per concept. A profile's own
signatures sit in its folder (grader/profiles/<name>/signatures.py). Checks reach all of
these through grader.checks.diagnose.
"""
