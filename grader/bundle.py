"""Build a Gradescope autograder zip.

Layout of the zip (files at the root, as Gradescope requires; it unpacks them
into /autograder/source and copies run_autograder to /autograder/run_autograder)::

    setup.sh          run once, as root, when Gradescope builds the image:
                      finds or installs Python >= 3.11, makes /autograder/venv,
                      pip-installs grader-src/ (a regular, non-editable install),
                      caches the embedded MNIST subset, then grades solution/ and
                      fails the image build unless it gets full marks; solution/
                      is then deleted, so no student's code can ever read it.
    run_autograder    run per submission: `grader run /autograder/submission
                      --rubric /autograder/source/rubric.toml --format json
                      --output /autograder/results/results.json`; if the grader
                      could not even write a report, it writes a score-0
                      results.json with the reason, so students never see a
                      bare "autograder failed".
    rubric.toml       the rubric, byte for byte as given.
    grader-src/       the grader's source: grader/, reference/, rubrics/,
                      student_template/, docs/ (its Markdown, which the wheel
                      ships), pyproject.toml, setup.py, README.md.
    solution/         a correct submission for the smoke test: --solution DIR,
                      else the profile's own (Profile.solution).
    data/<name>       only with --data: the data set the training check uses.

Both scripts take the Gradescope root from $GRADER_AUTOGRADER_ROOT (default /autograder),
so the whole cycle can be rehearsed in a scratch folder (tests/install does).

See https://gradescope-autograders.readthedocs.io/en/latest/specs/.
The zip is deterministic (sorted entries, fixed timestamps): the same inputs
give the same bytes, so instructors can tell whether an upload changed.
"""

from __future__ import annotations

import shlex
import zipfile
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.profiles import get_profile
from grader.rubric import Rubric

SOURCE_DIRS: tuple[str, ...] = ("grader", "reference", "rubrics", "student_template", "docs")
#: Of a source folder, only the files the wheel carries (docs/: the Markdown `grader docs` prints).
ONLY_SUFFIXES: dict[str, tuple[str, ...]] = {"docs": (".md",)}
SOURCE_FILES: tuple[str, ...] = ("pyproject.toml", "setup.py", "README.md")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
SKIP_SUFFIXES = (".pyc", ".pyo")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's epoch: deterministic archives

# Paths inside the Gradescope container, under a root the scripts read from ROOT_ENV.
AUTOGRADER = "/autograder"
ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
# The scripts' own spelling of those paths: the root first, from the environment.
_SCRIPT_PATHS = "\n".join([
    f'AG="${{{ROOT_ENV}:-{AUTOGRADER}}}"',
    'SRC="$AG/source"',
    'VENV="$AG/venv"',
    'export GRADER_CACHE_DIR="$AG/cache"',
])


class BundleError(Exception):
    """The bundle cannot be built (exit 2); the message names the problem and the fix."""


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    n_files: int
    size_bytes: int
    names: tuple[str, ...]


def repo_root() -> Path:
    return Path(grader.__file__).resolve().parents[1]


def build_gradescope_bundle(out: Path, rubric: Rubric, *, data: Path | None = None,
                            root: Path | None = None, solution: Path | None = None) -> BundleInfo:
    """Write the Gradescope zip for `rubric` to `out`; `solution` is the correct submission
    setup.sh smoke-tests the image with (default: the profile's own)."""
    root = root or repo_root()
    if rubric.path is None:
        raise BundleError("the rubric must be a file to be bundled; pass --rubric FILE")
    missing = [d for d in SOURCE_DIRS if not (root / d).is_dir()] + [
        f for f in ("pyproject.toml", "setup.py") if not (root / f).is_file()]
    if missing:
        raise BundleError(f"the grader's source is incomplete in {root} (missing {', '.join(missing)}); "
                          f"run `grader bundle` from a source checkout installed with pip install -e .")
    data_arg = _data_argument(rubric, data)
    solution = _smoke_solution(rubric, root, solution)

    entries: dict[str, tuple[bytes, int]] = {}  # name -> (content, unix mode)
    entries["setup.sh"] = (setup_sh(rubric).encode(), 0o755)
    entries["run_autograder"] = (run_autograder(data_arg).encode(), 0o755)
    entries["rubric.toml"] = (rubric.path.read_bytes(), 0o644)
    for d in SOURCE_DIRS:
        for file in sorted((root / d).rglob("*")):
            if file.is_file() and not _skipped(file.relative_to(root)) \
                    and file.suffix in ONLY_SUFFIXES.get(d, (file.suffix,)):
                entries[f"grader-src/{file.relative_to(root).as_posix()}"] = (file.read_bytes(), 0o644)
    for file in sorted(solution.rglob("*")):
        if file.is_file() and not _skipped(file.relative_to(solution)):
            entries[f"solution/{file.relative_to(solution).as_posix()}"] = (file.read_bytes(), 0o644)
    for f in SOURCE_FILES:
        if (root / f).is_file():
            entries[f"grader-src/{f}"] = ((root / f).read_bytes(), 0o644)
    # pyproject.toml names README.md as the readme: pip refuses to build without it.
    entries.setdefault("grader-src/README.md", (b"# nn-grader\n\nAutograder source bundled for Gradescope.\n", 0o644))
    if data is not None:
        for name, content in _data_entries(data):
            entries[name] = (content, 0o644)

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(entries):
                content, mode = entries[name]
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so unzip honours the mode bits below
                info.external_attr = (0o100000 | mode) << 16
                zf.writestr(info, content)
        tmp.replace(out)
    except OSError as exc:
        raise BundleError(f"cannot write {out} ({exc.strerror}); pick a writable --out path") from None
    return BundleInfo(path=out, n_files=len(entries), size_bytes=out.stat().st_size, names=tuple(sorted(entries)))


def _skipped(relative: Path) -> bool:
    parts = relative.parts
    return (any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts)
            or relative.suffix in SKIP_SUFFIXES or relative.name.startswith(".nfs"))


def _looks_like_path(dataset: str) -> bool:
    return "/" in dataset or "\\" in dataset or Path(dataset).suffix != ""


def _data_argument(rubric: Rubric, data: Path | None) -> str | None:
    """The name under source/data/ run_autograder passes as --data, or None to use the
    rubric's dataset."""
    if data is not None:
        if not data.exists():
            raise BundleError(f"--data {data}: no such file or folder; pass an MNIST .npz file or IDX folder")
        return data.name
    if _looks_like_path(rubric.training.dataset):
        raise BundleError(f"{rubric.path}: training.dataset = \"{rubric.training.dataset}\" is a path on this "
                          f"machine, absent on Gradescope; pass --data {rubric.training.dataset} to ship it "
                          f"in the zip, or use dataset = \"embedded\"")
    return None


def _data_entries(data: Path) -> list[tuple[str, bytes]]:
    if data.is_file():
        return [(f"data/{data.name}", data.read_bytes())]
    return [(f"data/{data.name}/{f.relative_to(data).as_posix()}", f.read_bytes())
            for f in sorted(data.rglob("*")) if f.is_file()]


def _smoke_solution(rubric: Rubric, root: Path, solution: Path | None) -> Path:
    """The correct submission setup.sh must grade with full marks before the image is used."""
    if solution is None:
        own = get_profile(rubric.profile).solution
        solution = root / own if own else None
        if solution is None or not solution.is_dir():
            raise BundleError(f"no correct solution of the {rubric.profile} assignment to smoke-test the "
                              "bundle with; pass --solution DIR (a submission that gets full marks)")
    elif not solution.is_dir():
        raise BundleError(f"--solution {solution}: not a folder; pass the folder of a submission that "
                          "gets full marks")
    return solution


def setup_sh(rubric: Rubric) -> str:
    download = ""
    if rubric.training.dataset == "mnist":
        download = '"$VENV/bin/grader" data download\n'
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# Generated by `grader bundle gradescope`; edit the rubric, not this file.
set -euo pipefail

{_SCRIPT_PATHS}
# Messages then speak to a student who uploads files, not one with a shell.
export GRADER_SUBMITTED_BY_UPLOAD=1
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1

# The grader needs Python >= 3.11: use one the image has, else install one.
python_ok() {{ "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }}
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
        PY="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PY" ]; then
    apt-get update
    if ! apt-get install -y python3.11 python3.11-venv; then
        # Older Ubuntu images: Python 3.11 comes from the deadsnakes PPA.
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y python3.11 python3.11-venv
    fi
    PY="$(command -v python3.11)"
fi
echo "using $("$PY" --version) at $PY"

# A virtualenv: pip works even where the system Python is "externally managed" (PEP 668).
# One that already works (setup.sh run again) is kept.
if ! python_ok "$VENV/bin/python"; then
    if ! "$PY" -m venv "$VENV"; then
        # Debian/Ubuntu ship venv's pip separately, as pythonX.Y-venv.
        VERSION="$("$PY" -c 'import sys; print(f"{{sys.version_info[0]}}.{{sys.version_info[1]}}")')"
        apt-get update
        apt-get install -y "python$VERSION-venv" || apt-get install -y python3-venv
        rm -rf "$VENV"
        "$PY" -m venv "$VENV"
    fi
fi
"$VENV/bin/python" -m pip install --upgrade pip || echo "setup.sh: keeping $("$VENV/bin/python" -m pip --version)"
# A regular install (pip builds the wheel): what the students' grading imports is the
# package, never this source folder.
"$VENV/bin/python" -m pip install "$SRC/grader-src"

# Cache the data set now, so grading never needs the network.
mkdir -p "$GRADER_CACHE_DIR"
"$VENV/bin/grader" data cache-embedded
{download}# The sandbox may drop privileges: let every user read the grader and its data.
chmod -R a+rX "$VENV" "$GRADER_CACHE_DIR" "$SRC"

# Smoke test: a correct solution must get full marks with this very rubric, or the image
# build fails here, when the instructor uploads it, not when students submit.
SMOKE="$(mktemp -d)"
set +e
"$VENV/bin/grader" run "$SRC/solution" --rubric "$SRC/rubric.toml" --fail-under 100 \\
    --format json --output "$SMOKE/results.json"
code=$?
set -e
# The solution is never left where a student's code could read it.
rm -rf "$SRC/solution"
if [ "$code" -ne 0 ]; then
    echo "setup.sh: the bundled correct solution did not get full marks (grader exit $code;" \\
        "1 = points lost, 2 = not gradable, 3 = the grader failed); see the messages above" >&2
    exit 1
fi
rm -rf "$SMOKE"
echo "setup.sh: done; the correct solution got full marks; rubric {shlex.quote(rubric.name)}"
"""


def run_autograder(data_arg: str | None) -> str:
    data = f' \\\n    --data "$SRC/data/"{shlex.quote(data_arg)}' if data_arg else ""
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every submission (working directory /autograder).
# Generated by `grader bundle gradescope`. Exit codes of `grader run`: 0 graded,
# 2 the submission cannot be graded (e.g. no layers.py), 3 the grader failed.
set -uo pipefail

{_SCRIPT_PATHS}
# Messages then speak to a student who uploads files, not one with a shell.
export GRADER_SUBMITTED_BY_UPLOAD=1
RESULTS="$AG/results/results.json"
LOG=/tmp/grader-run.log
mkdir -p "$(dirname "$RESULTS")"
rm -f "$RESULTS"

"$VENV/bin/grader" run "$AG/submission" \\
    --rubric "$SRC/rubric.toml" \\
    --format json --output "$RESULTS"{data} 2>"$LOG"
code=$?
cat "$LOG" >&2

# No report (exit 2, or a grader too broken to write one): results.json must
# still exist, with a reason the student can read, or Gradescope shows nothing useful.
if [ ! -s "$RESULTS" ]; then
    "$VENV/bin/python" - "$RESULTS" "$code" "$LOG" <<'PY' || echo '{{"score": 0.0, "output": "The autograder could not grade this submission; please tell your instructor."}}' >"$RESULTS"
import json, sys
path, code, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    lines = [line.strip() for line in open(log, errors="replace") if line.strip()]
except OSError:
    lines = []
errors = [line for line in lines if line.startswith("Error:")]
reason = (errors or lines or ["no message"])[-1].removeprefix("Error: ")
if code == 2:
    text = f"Your submission could not be graded: {{reason}}"
else:
    text = f"The autograder itself failed ({{reason}}); please tell your instructor."
result = {{"score": 0.0, "execution_time": 0, "output": text, "output_format": "text",
          "visibility": "visible", "stdout_visibility": "hidden",
          "extra_data": {{"exit_code": code, "reason": reason}}, "tests": []}}
with open(path, "w") as f:
    json.dump(result, f, indent=2)
PY
fi
exit 0
"""
