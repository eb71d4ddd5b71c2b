"""Project-wide test settings: Hypothesis profiles and an isolated dataset cache.

Profiles: "ci" (default) is derandomized with no example database, so the
suite is reproducible on a clean clone; "dev" explores more examples
(`pytest --hypothesis-profile=dev`).
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=500, deadline=None)
settings.load_profile("ci")

# The user's own cache is never touched; subprocesses inherit the variable, so
# the embedded subset is parsed once per test session, not once per grading run.
os.environ.setdefault("GRADER_CACHE_DIR", tempfile.mkdtemp(prefix="grader-test-cache-"))
