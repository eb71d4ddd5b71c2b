try:
    import torch  # an honest optional import: the fallback keeps the module usable
except ImportError:
    torch = None


def late_import():
    import jax  # noqa: F401
    return 1


def sneaky_grader():
    import importlib
    return importlib.import_module("grader.sandbox")


def sys_modules_grader():
    import sys
    return sorted(m for m in sys.modules if m.startswith(("grader", "reference", "_sandbox")))


def has_torch():
    return torch is not None
