"""Which profile a folder is laid out for: one place, data-driven by what each profile declares.

A folder can hold a profile's files in three ways, and the grader accepts all three:
- at its top (`layers.py`, or `cs231n/layers.py` for a package profile, or any `markers`);
- as the profile's top package itself (`cs231n/` passed: `layers.py`,
  `classifiers/fc_net.py`), graded from its parent;
- in its one sub-folder that does (a zip of a folder unpacks to `submission/hw1/...`).

A folder asked for with one profile but laid out for another is refused with the profile
to use, rather than graded into a hundred failures. The evidence is counted, because
layouts overlap: the CS231n package holds a `layers.py` and an `optim.py`, like the default
contract's folder, but also `classifiers/fc_net.py` and `layer_utils.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.profiles.base import Profile


@dataclass(frozen=True)
class Layout:
    """Where a folder holds a profile's files, and which of them were found."""

    profile: str
    found: tuple[str, ...]      # the profile's files found, relative to the folder asked about
    as_package: bool = False    # the folder is the profile's top package itself
    nested_in: str | None = None  # the one sub-folder that holds them

    @property
    def strength(self) -> int:
        return len(self.found)

    def describe(self) -> str:
        shown = ", ".join(self.found[:2]) + (", ..." if len(self.found) > 2 else "")
        if self.as_package:
            return f"it looks like that profile's package itself: {shown}"
        return shown


def _files_at(folder: Path, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in dict.fromkeys(names) if (folder / n).is_file())


def layout_in(folder: Path, profile: Profile) -> Layout | None:
    """How `folder` holds `profile`'s files (the strongest of the three ways), or None."""
    ways: list[Layout] = []
    top = _files_at(folder, (*profile.files(), *profile.markers))
    if top:
        ways.append(Layout(profile.name, top))
    if profile.packages:
        inside = _files_at(folder, profile.package_files())
        if inside:
            ways.append(Layout(profile.name, inside, as_package=True))
    if not top and folder.is_dir():
        holders = []
        for sub in sorted(folder.iterdir()):
            if sub.is_dir() and not sub.name.startswith((".", "__")):
                found = _files_at(sub, (*profile.files(), *profile.markers))
                if found:
                    holders.append(Layout(profile.name, tuple(f"{sub.name}/{f}" for f in found),
                                          nested_in=sub.name))
        if len(holders) == 1:
            ways.append(holders[0])
    return max(ways, key=lambda way: way.strength, default=None)


def recognise(folder: Path, profiles: list[Profile]) -> list[Layout]:
    """Every profile `folder` is laid out for, the strongest evidence first."""
    found = [layout for p in profiles if (layout := layout_in(folder, p)) is not None]
    return sorted(found, key=lambda layout: -layout.strength)


def better_layout(folder: Path, profile: Profile, profiles: list[Profile]) -> Layout | None:
    """Another profile's layout that fits `folder` better than `profile`'s does, or None."""
    mine = layout_in(folder, profile)
    others = [layout for layout in recognise(folder, profiles) if layout.profile != profile.name]
    if not others:
        return None
    best = others[0]
    if mine is None or best.strength > mine.strength:
        return best
    return None
