"""Assignment profiles: how grader reads a course's assignment (docs: README "Grading an
existing assignment").

Each sub-package is one assignment and defines `PROFILE`; adding a course is adding a
folder here (README, "Adding a course: copy a profile folder"): profiles are found from
their folders, never listed by hand.
"""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path

from grader.profiles.base import Profile, module_file
from grader.profiles.layouts import Layout, better_layout, layout_in, recognise

DEFAULT_PROFILE = "default"


def profile_name(package: str) -> str:
    """A profile's name from its folder's: `mytorch_hw1p1/` is the profile "mytorch-hw1p1"
    (a folder name must be a Python identifier; a profile name reads better with hyphens)."""
    return package.replace("_", "-")


def _discover(folder: Path) -> dict[str, str]:
    """name -> sub-package of every profile folder in `folder` (a package: it holds
    __init__.py), the default first, then by name. Only folder names are read, so `grader
    --help` imports no profile."""
    found = sorted(entry.name for entry in folder.iterdir()
                   if entry.is_dir() and not entry.name.startswith(("_", "."))
                   and (entry / "__init__.py").is_file())
    packages = {profile_name(name): f"{__name__}.{name}" for name in found}
    return dict(sorted(packages.items(), key=lambda item: (item[0] != DEFAULT_PROFILE, item[0])))


# name -> sub-package; imported lazily so `grader --help` stays fast.
_PACKAGES: dict[str, str] = _discover(Path(__file__).resolve().parent)
PROFILE_NAMES: tuple[str, ...] = tuple(_PACKAGES)


class ProfileError(ValueError):
    """An unknown profile name, or a submission laid out for another profile."""


def get_profile(name: str) -> Profile:
    if name not in _PACKAGES:
        close = difflib.get_close_matches(name, PROFILE_NAMES, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else "profiles: " + ", ".join(PROFILE_NAMES)
        raise ProfileError(f"unknown profile '{name}'; {hint} (`grader profiles` lists them)")
    module = importlib.import_module(_PACKAGES[name])
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        raise ProfileError(f"{module.__file__} defines no PROFILE = Profile(...): every profile "
                           "folder's __init__.py must (see grader/profiles/base.py)")
    if profile.name != name:
        raise ProfileError(f"{module.__file__} names its profile '{profile.name}'; a profile is "
                           f"named after its folder: Profile(name=\"{name}\", ...)")
    return profile


def all_profiles() -> list[Profile]:
    return [get_profile(name) for name in PROFILE_NAMES]


def check_layout(folder: Path, profile: Profile) -> None:
    """Raise ProfileError when `folder` is laid out for another profile better than for this
    one (at its top, as the other's package, or in its one sub-folder), or when the profile
    recognises it but refuses it (an unsupported release)."""
    other = better_layout(folder, profile, all_profiles())
    if other is not None:
        flag = "--profile default (or no --profile)" if other.profile == DEFAULT_PROFILE else \
            f"--profile {other.profile}"
        raise ProfileError(
            f"{folder} is laid out for the {other.profile} profile ({other.describe()}), not "
            f"{profile.name}: grade it with {flag}")
    if profile.refuse is not None and profile.matches(folder):
        reason = profile.refuse(folder)
        if reason:
            raise ProfileError(reason)


def package_parent(folder: Path, profile: Profile) -> Path | None:
    """The folder to grade when `folder` IS the profile's top package (the cs231n/ folder
    itself: __init__.py, layers.py, classifiers/): its parent, graded exactly as if passed.
    None when `folder` is not such a package; ProfileError when it is one under another name
    (the imports `cs231n.layers` need the folder to be called cs231n)."""
    if not profile.packages or not any((folder / f).is_file() for f in profile.package_files()):
        return None
    folder = folder.resolve()  # `grader run .` from inside cs231n/: the name is needed
    tops = profile.top_packages()
    if folder.name in tops:
        return folder.parent
    raise ProfileError(
        f"{folder} holds {', '.join(f for f in profile.package_files() if (folder / f).is_file())}: "
        f"it looks like the package {tops[0]}/ itself, but is named '{folder.name}'; rename it "
        f"{tops[0]} (the course imports {profile.modules[0]}) or pass the folder that holds {tops[0]}/")


__all__ = ["Profile", "ProfileError", "DEFAULT_PROFILE", "PROFILE_NAMES", "get_profile", "profile_name",
           "all_profiles", "check_layout", "module_file", "package_parent", "Layout", "layout_in",
           "recognise"]
