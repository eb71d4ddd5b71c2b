"""A throwaway course profile for the tests of issue 20's framework pieces (never shipped).

Two releases of a tiny assignment, `layers.py` with relu_forward (both) and
affine_forward (release "v1" only): the release is read from the file itself (a
`# release: v2` handout line, or no affine_forward). It declares one provided file
(fast.py, which imports torch), the handout import `past.builtins` and one NumPy shim.
"""

from __future__ import annotations

from pathlib import Path

from grader.profiles.base import Profile, Release

V1 = Release(name="v1", why="layers.py defines affine_forward")
V2 = Release(name="v2", why="layers.py has no affine_forward (the v2 handout moved it)",
             assigned=frozenset({"relu"}), conventions={"slope": "steep"},
             course_tests=("test_scope.py::test_relu_large_inputs",))


def detect_release(folder: Path) -> Release:
    text = (folder / "layers.py").read_text(errors="replace") if (folder / "layers.py").is_file() else ""
    return V1 if "def affine_forward" in text else V2


PROFILE = Profile(
    name="scope-test",
    title="A throwaway course for tests",
    expects="layers.py with relu_forward (and affine_forward in v1)",
    modules=("layers",),
    markers=("scope_marker.txt",),
    checks_dir=Path(__file__).resolve().parent / "checks",
    rubric="scope-test",
    forbidden_imports=("torch",),
    detect_release=detect_release,
    releases=(V1, V2),
    provided_files=("fast.py",),
    handout_imports=("past.builtins",),
    numpy_compat=("reshape-newshape",),
    beyond_course_points=False,
    conventions={"slope": ("flat", "steep")},
)
