"""What a profile declares: one assignment's layout, conventions and checks, as data.

A profile is a frozen `Profile` built by its own sub-package
(`grader/profiles/<name>/__init__.py` defines `PROFILE`). The grader asks it:
- which modules a submission holds (`modules`, dotted for packages) and which
  files mark its layout (`markers`), to refuse a submission laid out for
  another profile with a one-line message instead of a hundred failures;
- which check folder grades it (`checks_dir`) and which rubric prices it
  (`rubric`: a built-in name, or a rubric file in the profile's folder);
- which imports it forbids (`forbidden_imports`: MyTorch's GELU may use scipy);
- how to say things in the assignment's own words (`vocabulary`: canonical
  term -> the course's term, applied to every hint a check raises);
- which release (semester, year) of the assignment a submission was written for
  (`detect_release` -> `Release`: the components it assigns, its conventions),
  which files are the course's own code (`provided_files`: their imports are not
  policed), which handout imports are legal (`handout_imports`: `past.builtins`
  gets a tiny stand-in when missing) and which calls the course's NumPy accepted
  (`numpy_compat`, names from grader/sandbox/compat.py).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping


def module_file(module: str) -> str:
    """`mytorch.nn.linear` -> `mytorch/nn/linear.py` (the file a student edits)."""
    return module.replace(".", "/") + ".py"


@dataclass(frozen=True)
class Release:
    """One release (semester, year, assignment) of a course's assignment, as graded.

    `name`: how reports name it ("CS231n 2022 assignment1"); `why`: the fingerprints that
    chose it, one clause a student reads ("layers.py has no batchnorm_forward and fc_net.py
    has TwoLayerNet only"); `assigned`: the component tags this release assigns (None: every
    component): checks of other components do not run, are listed as "not part of this
    assignment" with `why`, and their points leave the maximum; `conventions`: values for the
    profile's [conventions] keys this release implies (a rubric's explicit value wins);
    `handout_imports`: imports this release's handout itself writes, legal on top of the
    profile's `handout_imports` (e.g. ("past.builtins",) for 2021-24 assignment1).
    """

    name: str
    why: str = ""
    assigned: frozenset[str] | None = None
    conventions: Mapping[str, str] = field(default_factory=dict)
    handout_imports: tuple[str, ...] = ()
    # Check ids (exact, or a prefix ending in "::" or "[") of beyond_course checks that this
    # release's own tests do test (MyTorch S25 tests softmax stability): scored as usual.
    course_tests: tuple[str, ...] = ()
    # Tags of parts inside an assigned component that this release's handout does not have
    # (MyTorch 2.0.x: "gelu", "softmax"): their checks are not assigned, and the component's
    # points are shared by its other checks.
    absent: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        # Hypothesis prints a check's arguments in the smallest failing example a student
        # reads: the release's name says it all, its component sets are noise there.
        return f"Release({self.name!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's pretty-printer spells out every field of a dataclass, whatever its
        # __repr__ (a 30-line falsifying example): this hook makes it print the repr.
        printer.text(repr(self))

    def assigns(self, component: str) -> bool:
        return self.assigned is None or component in self.assigned

    def missing_part(self, tags: list[str]) -> str | None:
        """The tag (component, or a part listed in `absent`) that leaves a check with `tags`
        (component first) out of this release, or None when the release asks for it."""
        if not self.assigns(tags[0]):
            return tags[0]
        return next((tag for tag in tags[1:] if tag in self.absent), None)

    def tests(self, check: str) -> bool:
        """Whether this release's own tests test the check `check` (an id)."""
        return any(check == t or (t.endswith(("::", "[")) and check.startswith(t))
                   for t in self.course_tests)


@dataclass(frozen=True)
class HandoutStep:
    """One step of a handout, in its order: the functions (`affine_forward`) and methods
    (`Linear.forward`) a student writes in `module`. `maybe_given`: names some handouts ship
    already written (a written one does not mean the student started; every `__init__` is
    treated so too, since handouts often write the constructor). `products`: for a method that
    stores more than its result, the attributes that are its result (a constructor's
    ("params",)), so that the handout's own settings (`self.reg = reg`) are not taken for work."""

    module: str
    names: tuple[str, ...]
    maybe_given: frozenset[str] = frozenset()
    products: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str                              # the course and release, for `grader profiles`
    expects: str                            # one paragraph: what the submission must hold
    modules: tuple[str, ...]                # importable names, e.g. "layers" or "mytorch.nn.linear"
    markers: tuple[str, ...]                # relative paths; any of them present = this layout
    checks_dir: Path                        # the pytest folder that grades this assignment
    # The rubric `--profile` grades with: a built-in rubric's name (rubrics/<name>.toml), or the
    # path of a rubric file the profile's folder carries (a new course's rubric.toml).
    rubric: str
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
    # The release a submission was written for, from its own fingerprints (signatures, file
    # layout, handout lines); None: one release, everything assigned. The rubric's
    # `[conventions] release = "<name>"` picks one of `releases` (by Release.name) instead.
    detect_release: Callable[[Path], Release] | None = None
    releases: tuple[Release, ...] = ()
    # Course code the student does not write (relative paths, e.g. "cs231n/fast_layers.py"):
    # its imports are not policed. A forbidden module it imports is never loaded for real: the
    # provided file gets an empty stand-in whose use raises, so only code that really uses it
    # fails (and the students' own files that import the provided file still import).
    provided_files: tuple[str, ...] = ()
    # Imports the course's handout itself writes (every release): "builtins", "__future__",
    # "past.builtins", "future". Of these, `past.builtins` (xrange, basestring, ...) and
    # `future` get a tiny stand-in in the worker when the package is not installed.
    handout_imports: tuple[str, ...] = ()
    # NumPy 1.x calls the course's NumPy accepted and the grader's NumPy refuses, accepted in
    # the worker (student side only); names from grader.sandbox.compat.NUMPY_COMPAT.
    numpy_compat: tuple[str, ...] = ()
    # Libraries the course's handout files import (MyTorch's activation.py: scipy.special, for
    # GELU's erf): the worker imports them as it starts, while the grader starts too, instead
    # of inside the student's first import (~0.2 s for SciPy). A forbidden one is never loaded.
    preload: tuple[str, ...] = ()
    # Whether checks marked beyond_course earn points by default (the rubric's
    # score_beyond_course overrides): True for the default profile (its own contract), False
    # for a course profile, where they are reported without costing points.
    beyond_course_points: bool = True
    # A correct submission, relative to the source checkout, that `grader bundle` ships for
    # the image's smoke test (never in the wheel: students can install that).
    solution: str | None = None
    # What a student writes, in the handout's order, for the release graded (None: the
    # profile's template raises NotImplementedError, whose stubs are found in file order).
    # The first-run report (grader/firstrun.py) lists what is still the handout's stub.
    handout_order: Callable[[Release | None], tuple[HandoutStep, ...]] | None = None
    # How many checks' time one training run costs per 1,000 images x epochs: the two check
    # sessions of a run are balanced with it (grader.checks.shards; measured with SHARDS = 1).
    # The default profile's loop runs in the worker (0.7); a course's loop is driven batch by
    # batch by the grader (~4.5, balanced the same anywhere from 2.5 to 4.5).
    training_cost: float = 0.7

    def release_for(self, folder: Path, chosen: str = "") -> Release | None:
        """The release to grade `folder` as: the rubric's `chosen` name, else the detected one;
        None when the profile has no releases (everything assigned, as before)."""
        if chosen:
            for release in self.releases:
                if release.name == chosen:
                    return dataclasses.replace(release, why="set in the rubric ([conventions] release)")
            raise ValueError(f"unknown release {chosen!r}; releases: "
                             + ", ".join(r.name for r in self.releases))
        return self.detect_release(folder) if self.detect_release is not None else None

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
