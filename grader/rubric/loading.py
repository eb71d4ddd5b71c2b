"""Find a rubric (a file, or a built-in name) and read it: TOML syntax first, then validation."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import grader
from grader.rubric.model import BUILTIN_RUBRICS, Rubric, RubricError
from grader.rubric.validation import build_rubric


def rubrics_dir() -> Path:
    """Where the built-in rubrics live.

    ``$GRADER_RUBRICS_DIR`` wins; then the repository's ``rubrics/`` next to the
    package (editable installs, the Gradescope bundle's source copy); then a
    ``grader/rubrics/`` copy inside the package, for wheel installs that ship one.
    """
    candidates = []
    if os.environ.get("GRADER_RUBRICS_DIR"):
        candidates.append(Path(os.environ["GRADER_RUBRICS_DIR"]))
    package = Path(grader.__file__).resolve().parent
    candidates += [package.parent / "rubrics", package / "rubrics"]
    for candidate in candidates:
        if (candidate / "default.toml").is_file():
            return candidate
    return candidates[0] if os.environ.get("GRADER_RUBRICS_DIR") else package.parent / "rubrics"


def resolve_rubric_path(path: Path | str | None) -> Path:
    """A file path for `path`: None → the default rubric, a bare built-in name → its file."""
    if path is None:
        path = "default"
    candidate = Path(path)
    if not candidate.exists() and str(path) in BUILTIN_RUBRICS:
        candidate = rubrics_dir() / f"{path}.toml"
    if not candidate.exists():
        hint = ("the grader's built-in rubrics are missing from this install; "
                "set GRADER_RUBRICS_DIR or pass --rubric FILE") if str(path) in BUILTIN_RUBRICS else (
            "pass an existing .toml file, or a built-in name: " + ", ".join(BUILTIN_RUBRICS))
        raise RubricError(f"{candidate}: rubric file not found; {hint}")
    if candidate.is_dir():
        raise RubricError(f"{candidate}: is a folder, not a rubric file; pass a .toml file such as "
                          f"{candidate / 'default.toml'}")
    return candidate


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Read and validate a rubric file (None → the built-in default rubric)."""
    file = resolve_rubric_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RubricError(f"{file}: not UTF-8 text; save the rubric as UTF-8") from None
    except OSError as exc:
        raise RubricError(f"{file}: cannot be read ({exc.strerror}); check the path and its permissions") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{file}: TOML syntax error: {exc}; check quotes, brackets and "
                          f"'key = value' on that line") from None
    raw.setdefault("name", file.stem)
    return build_rubric(raw, path=file, source=str(file))


def loads_rubric(text: str, *, name: str = "rubric") -> Rubric:
    """Validate rubric TOML given as a string (tests, bundles)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{name}: TOML syntax error: {exc}; check quotes, brackets and "
                          f"'key = value' on that line") from None
    raw.setdefault("name", name)
    return build_rubric(raw, path=None, source=name)
