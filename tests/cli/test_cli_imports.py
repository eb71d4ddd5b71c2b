"""`grader --help` stays fast: scikit-learn and dask are imported only by the commands that use them."""

from __future__ import annotations

import subprocess
import sys


def test_help_imports_neither_sklearn_nor_dask() -> None:
    code = ("import sys; from grader.cli import cli\n"
            "try:\n    cli.main(['--help'], prog_name='grader')\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'dask', 'distributed'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
