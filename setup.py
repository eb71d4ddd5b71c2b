"""Package discovery for the wheel (the rest of the metadata is in pyproject.toml).

pyproject.toml alone cannot both discover packages and map the three top-level data folders
into the package, so this file does only that: every package under grader/ and reference/
is found, never listed by hand.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["grader", "grader.*", "reference", "reference.*"]),
                "grader.rubrics", "grader.student_template", "grader.docs"])
