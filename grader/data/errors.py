"""The one exception type of :mod:`grader.data`."""

from __future__ import annotations


class DataError(Exception):
    """A data set could not be found, read, verified or split.

    Every message names the offending file (or source) *and* the fix, because
    these errors reach instructors through the CLI, not through a traceback.
    """
