"""Identical-submission fingerprints: blind to whitespace and comments, not to code."""

from __future__ import annotations

from pathlib import Path

from grader.fingerprint import normalise_source, source_fingerprint

MODULES = ("layers", "optim")
CODE = '''import numpy as np


class SGD:
    def step(self, params, grads, lr):
        for p, g in zip(params, grads):
            p -= lr * g  # in place
'''


def _submission(folder: Path, layers: str, optim: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "layers.py").write_text(layers)
    if optim is not None:
        (folder / "optim.py").write_text(optim)
    return folder


def test_whitespace_and_comments_do_not_matter(tmp_path: Path) -> None:
    restyled = ("# my own header\nimport numpy   as np\nclass SGD:\n\tdef step(self, params, grads, lr):\n"
                "\t\tfor p, g in zip(params, grads):   # loop\n\t\t\tp -= lr * g\n\n\n")
    a = _submission(tmp_path / "a", CODE)
    b = _submission(tmp_path / "b", restyled)
    assert source_fingerprint(a, MODULES) == source_fingerprint(b, MODULES) is not None


def test_code_changes_and_file_placement_matter(tmp_path: Path) -> None:
    base = source_fingerprint(_submission(tmp_path / "a", CODE), MODULES)
    plus = source_fingerprint(_submission(tmp_path / "b", CODE.replace("-=", "+=")), MODULES)
    dedented = CODE.replace("            p -= lr * g  # in place", "        p -= lr * g")
    moved = source_fingerprint(_submission(tmp_path / "c", dedented), MODULES)
    other_file = source_fingerprint(_submission(tmp_path / "d", "", CODE), MODULES)
    assert len({base, plus, moved, other_file}) == 4


def test_syntax_errors_still_compare_and_empty_folders_are_not_identical(tmp_path: Path) -> None:
    broken = "def f(:\n    return 1  # oops\n"
    assert normalise_source(broken) == normalise_source("def f(:\n  return 1\n")
    assert source_fingerprint(_submission(tmp_path / "a", broken), MODULES) is not None
    (tmp_path / "empty").mkdir()
    assert source_fingerprint(tmp_path / "empty", MODULES) is None
