"""The `grader` commands, one module per command group (grader.cli assembles them).

options and submission: what several commands share (the rubric, --profile, the
folder to grade); reporting: grade in this process and write the report.
"""
