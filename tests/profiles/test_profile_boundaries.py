"""Every profile is one folder that depends on the engine only (issue 23): no profile imports
another profile's modules, no module imports a check file (test_*.py) for its helpers, and
the engine outside grader/profiles/ names no particular profile. Imports are read with ast,
so an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import grader
from grader.profiles import PROFILE_NAMES, get_profile

GRADER = Path(grader.__file__).resolve().parent
PROFILES = GRADER / "profiles"


def imported_modules(file: Path) -> list[str]:
    """The absolute module names `file` imports (`from a.b import c` gives a.b and a.b.c)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def profile_packages() -> dict[str, Path]:
    """Dotted package -> folder of each registered profile."""
    return {get_profile(name).checks_dir.parent.name: get_profile(name).checks_dir.parent
            for name in PROFILE_NAMES}


def test_every_profile_is_a_folder_with_its_checks_inside():
    for name in PROFILE_NAMES:
        profile = get_profile(name)
        assert profile.checks_dir.parent.parent == PROFILES, name
        assert (profile.checks_dir / "__init__.py").is_file(), name


def test_no_profile_imports_another_profile():
    packages = profile_packages()
    crossings = []
    for package, folder in packages.items():
        others = [f"grader.profiles.{other}" for other in packages if other != package]
        for file in sorted(folder.rglob("*.py")):
            for module in imported_modules(file):
                if any(module == o or module.startswith(o + ".") for o in others):
                    crossings.append(f"{file.relative_to(GRADER)} imports {module}")
    assert not crossings, "shared code belongs in the framework (grader/checks, grader/training):\n" + \
        "\n".join(crossings)


def test_no_module_imports_a_check_file():
    """What two checks share lives in a module (the profile's cases.py, network.py, or the
    engine), never in a check file (test_*.py) another one imports."""
    offenders = []
    for file in sorted(GRADER.rglob("*.py")):
        for module in imported_modules(file):
            if any(part.startswith("test_") for part in module.split(".")):
                offenders.append(f"{file.relative_to(GRADER)} imports {module}")
    assert not offenders, "helpers two checks share live in a module, not a test_*.py:\n" + \
        "\n".join(offenders)


def test_the_engine_names_no_particular_profile():
    packages = [f"grader.profiles.{package}" for package in profile_packages()]
    offenders = []
    for file in sorted(GRADER.rglob("*.py")):
        if PROFILES in file.parents and file.parent != PROFILES:
            continue  # inside a profile's own folder
        for module in imported_modules(file):
            if any(module == p or module.startswith(p + ".") for p in packages):
                offenders.append(f"{file.relative_to(GRADER)} imports {module}")
    assert not offenders, "the engine reaches profiles through grader.profiles.get_profile:\n" + \
        "\n".join(offenders)


def test_the_checker_sees_a_crossing(tmp_path: Path):
    """The import reader itself: a crossing written the three ways Python allows is found."""
    file = tmp_path / "probe.py"
    file.write_text("import grader.profiles.cs231n_fc.layout\n"
                    "from grader.profiles.mytorch_hw1p1.checking import course_array\n"
                    "def f():\n    from grader.profiles.default.checks import test_mlp\n")
    found = imported_modules(file)
    assert "grader.profiles.cs231n_fc.layout" in found
    assert "grader.profiles.mytorch_hw1p1.checking" in found
    assert "grader.profiles.default.checks.test_mlp" in found
