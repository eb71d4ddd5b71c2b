"""Size of the HTML report and its render time in headless chromium, for the reference and a failing submission.

    python bench/bench_html.py [--mutant linear-db-keeps-batch] [--repeat 5]

Both submissions are graded with `grader run --format html` (the reference and
a bug from tests/mutants/catalog.py). Render time is the wall time of
chromium painting the page to a 1000 x 3000 screenshot, median of --repeat
runs, next to the same for an empty page (chromium's own start-up, which the
report does not cost). Needs chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reports"))

from headless import graded_html, screenshot  # noqa: E402 - tests/reports is put on the path just above


def _paint_seconds(page: Path, workdir: Path, repeat: int) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        screenshot(page, workdir / f"shot-{i}.png", 1000, 3000)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutant", default="linear-db-keeps-batch", help="a name from tests/mutants/catalog.py")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        empty = root / "empty.html"
        empty.write_text("<!DOCTYPE html><title>empty</title>", encoding="utf-8")
        baseline = _paint_seconds(empty, root, args.repeat)
        print(f"{'page':<36} {'bytes':>9} {'images':>7} {'chromium paint (s)':>19} {'minus empty page (s)':>21}")
        print(f"{'empty page':<36} {empty.stat().st_size:>9} {0:>7} {baseline:>19.2f} {0.0:>21.2f}")
        for label, mutant in (("reference", None), (f"failing: {args.mutant}", args.mutant)):
            folder = root / (mutant or "reference")
            folder.mkdir()
            report = graded_html(folder, mutant)
            html = report.read_text(encoding="utf-8")
            seconds = _paint_seconds(report, folder, args.repeat)
            print(f"{label:<36} {len(html.encode()):>9} {html.count('<img '):>7} {seconds:>19.2f} "
                  f"{seconds - baseline:>21.2f}")


if __name__ == "__main__":
    main()
