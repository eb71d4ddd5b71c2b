"""Regenerate docs/report-failing.png, the README's picture of a failing submission's HTML report.

    python docs/tools/make_report_screenshot.py [--mutant linear-db-keeps-batch] [--width 820] [--height 1300]

Grades a real bug from the mutant catalog (tests/mutants/catalog.py) with
`grader run --format html`, paints the report in headless chromium and keeps
the top of the page (score, likely problems, the first failing checks).
Needs chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib import image as mpl_image

# docs/tools/ -> docs/ (kept out of docs/ itself, which the wheel ships as grader/docs)
DOCS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DOCS.parent / "tests" / "reports"))

from headless import graded_html, screenshot  # noqa: E402 - tests/reports is put on the path just above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutant", default="linear-db-keeps-batch", help="a name from tests/mutants/catalog.py")
    parser.add_argument("--width", type=int, default=820)
    parser.add_argument("--height", type=int, default=1300, help="pixels kept from the top of the page")
    parser.add_argument("--out", type=Path, default=DOCS / "report-failing.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = graded_html(Path(tmp), args.mutant)
        pixels = screenshot(report, Path(tmp) / "shot.png", args.width, args.height)
    # 64 grey/colour levels per channel: the picture stays crisp and the PNG small.
    quantised = np.round(pixels * 63) / 63
    mpl_image.imsave(args.out, quantised, format="png", metadata={"Software": None})
    print(f"{args.out}: {args.width} x {args.height} px, {args.out.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main()
