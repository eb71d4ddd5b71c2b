"""Debian's chromium, headless, for the report tests, bench/bench_html.py and docs/tools/make_report_screenshot.py.

Also grades a catalog submission with `grader run` into an HTML report, so the
benchmark and the README's screenshot show a real report, not a fixture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib import image as mpl_image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[2]


def chromium(workdir: Path, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a throw-away profile in `workdir`; stderr carries the console log."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed: `apt-get install chromium` (.ci/run does)")
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)


def screenshot(page: Path, png: Path, width: int, height: int) -> np.ndarray:
    """`page` painted in a `width` x `height` window, scrollbars hidden: RGB floats in [0, 1], (height, width, 3)."""
    run = chromium(png.parent, f"--screenshot={png}", f"--window-size={width},{height}", "--hide-scrollbars",
                   page.as_uri())
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot: {run.stderr[-2000:]}")
    return mpl_image.imread(png)[..., :3]


def console_problems(stderr: str) -> list[str]:
    """Lines of chromium's log that report a page problem: console messages, CSP refusals, failed loads."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Refused to" in line or "Content Security Policy" in line
            or "ERR_" in line or "Uncaught" in line]


def graded_html(dest: Path, mutant: str | None, *, show_hidden: bool = False) -> Path:
    """Materialise the reference (`mutant` None) or a catalog mutant in `dest` and grade it with `grader run`.

    Returns the HTML report (`dest/report.html`).
    """
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "mutants")]
    import catalog  # noqa: PLC0415 - tests/mutants is only importable once on the path

    chosen = None if mutant is None else {m.name: m for m in catalog.MUTANTS}[mutant]
    name = mutant or "reference"
    catalog.materialize(dest / name, mutant=chosen)
    report = dest / "report.html"
    # A relative path, so the report's title is the folder's name, as a student would see it.
    cmd = [sys.executable, "-m", "grader", "run", name, "--format", "html", "--output", str(report)]
    run = subprocess.run(cmd + (["--show-hidden"] if show_hidden else []), cwd=dest, capture_output=True,
                         text=True, timeout=600)
    if not report.is_file():
        raise RuntimeError(f"grader run wrote no report (exit {run.returncode}): {run.stderr[-2000:]}")
    return report
