"""What a profile declares: one assignment's layout, conventions and checks, as data.

A profile is a frozen `Profile` built by its own sub-package
(`grader/profiles/<name>/__init__.py` defines `PROFILE`). The grader asks it:
- which modules a submission holds (`modules`, dotted for packages) and which
  files mark its layout (`markers`), to refuse a submission laid out for
  another profile with a one-line message instead of a hundred failures;
- which check folder grades it (`checks_dir`) and which built-in rubric prices
  it (`rubric`);
- which imports it forbids (`forbidden_imports`: MyTorch's GELU may use scipy);
- how to say things in the assignment's own words (`vocabulary`: canonical
  term -> the course's term, applied to every hint a check raises).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping


def module_file(module: str) -> str:
    """`mytorch.nn.linear` -> `mytorch/nn/linear.py` (the file a student edits)."""
    return module.replace(".", "/") + ".py"


@dataclass(frozen=True)
class Profile:
    name: str
    title: str                              # the course and release, for `grader profiles`
    expects: str                            # one paragraph: what the submission must hold
    modules: tuple[str, ...]                # importable names, e.g. "layers" or "mytorch.nn.linear"
    markers: tuple[str, ...]                # relative paths; any of them present = this layout
    checks_dir: Path                        # the pytest folder that grades this assignment
    rubric: str                             # the built-in rubric named after the profile
    forbidden_imports: tuple[str, ...]      # the rubric's default list
    packages: bool = False                  # modules are packages with absolute imports
    vocabulary: Mapping[str, str] = field(default_factory=dict)
    # Refuses a submission the profile recognises but cannot grade (e.g. an older release
    # of the assignment): returns the one-line reason, or None to grade it.
    refuse: Callable[[Path], str | None] | None = None
    # Conventions that changed between releases, chosen in the rubric's [conventions]:
    # key -> allowed values, the first the default (cs231n-fc: dropout_p keep/drop/detect).
    conventions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Notes on files the course provides that the submission lacks, each saying whether it
    # matters (cs231n-fc: layer_utils.py, which fc_net.py imports; solver.py, never used).
    missing: Callable[[Path], list[str]] | None = None
    # A correct submission, relative to the source checkout, that `grader bundle` ships for
    # the image's smoke test (never in the wheel: students can install that).
    solution: str | None = None

    def files(self) -> tuple[str, ...]:
        return tuple(module_file(m) for m in self.modules)

    def package_files(self) -> tuple[str, ...]:
        """The module files relative to the top package (`layers.py` for cs231n.layers): what
        a folder that IS the package holds."""
        return tuple(module_file(m.split(".", 1)[1]) for m in self.modules if "." in m)

    def top_packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.split(".", 1)[0] for m in self.modules if "." in m))

    def matches(self, folder: Path) -> bool:
        """Whether `folder` is laid out for this profile (any marker file present)."""
        return any((folder / marker).is_file() for marker in self.markers)

    def phrase(self, text: str) -> str:
        """A hint in the assignment's words: each canonical term replaced by the course's.

        Terms are matched as whole identifiers (`dW` never rewrites `dWx`), longest first,
        in one pass, so a replacement is never rewritten again.
        """
        if not self.vocabulary or not text:
            return text
        terms = sorted(self.vocabulary, key=len, reverse=True)
        pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")
        return pattern.sub(lambda m: self.vocabulary[m.group(1)], text)
