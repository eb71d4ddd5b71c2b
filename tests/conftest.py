"""Project-wide test settings: Hypothesis profiles and an isolated dataset cache.

Profiles: "ci" (default) is derandomized with no example database, so the
suite is reproducible on a clean clone; "dev" explores more examples
(`pytest --hypothesis-profile=dev`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=500, deadline=None)
settings.load_profile("ci")

# The user's own cache is never touched; subprocesses inherit the variable, so
# the embedded subset is parsed once per test session, not once per grading run.
# Created only when none is set (a nested pytest inherits its parent's), and removed when
# the session that created it ends.
if "GRADER_CACHE_DIR" not in os.environ:
    os.environ["GRADER_CACHE_DIR"] = tempfile.mkdtemp(prefix="grader-test-cache-")
    atexit.register(shutil.rmtree, os.environ["GRADER_CACHE_DIR"], ignore_errors=True)
