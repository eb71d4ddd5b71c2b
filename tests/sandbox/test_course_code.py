"""Issue 20 in the sandbox: input mutation seen per call, the course's provided files and
handout imports, and the NumPy 1.x calls a profile declares. Submissions are written here."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import StudentException, StudentImportError
from grader.sandbox.compat import NUMPY_COMPAT, STAND_INS


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


MUTATING = {
    "layers.py": """
        import numpy as np


        def relu_forward(x):
            out = x
            out[out < 0] = 0
            return out


        def relu_out(x):
            return np.maximum(x, 0, out=x)


        def clean(x, scale=1.0):
            return np.maximum(x, 0) * scale


        def edits_keyword(x, dout=None):
            dout *= 2
            return x + dout


        def reads_only(x):
            return float(x.sum())


        def via_helper(x):
            return helpers.scale_in_place(x)


        import helpers


        class Layer:
            def forward(self, x):
                x -= 1
                return x
        """,
    "helpers.py": """
        def scale_in_place(x):
            x *= 3
            return x
        """,
}

X = np.array([[-1.0, 2.0], [3.0, -4.0]])


def test_a_call_that_edits_its_argument_is_seen_and_its_line_found(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", MUTATING))
    x = X.copy()
    out = sb.call("layers", "relu_forward", x)
    assert np.array_equal(out, np.maximum(X, 0))
    assert np.array_equal(x, X)  # the grader's own array is never touched
    assert sb.last_mutated == (0,)
    site = sb.locate_mutation()
    assert site is not None
    assert site["file"] == "layers.py" and site["line"] == 7
    assert site["code"] == "out[out < 0] = 0"


def test_out_argument_and_keyword_arguments_and_methods(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", MUTATING))
    sb.call("layers", "relu_out", X)
    assert sb.last_mutated == (0,)
    assert sb.locate_mutation()["code"] == "return np.maximum(x, 0, out=x)"
    sb.call("layers", "edits_keyword", X, dout=np.ones((2, 2)))
    assert sb.last_mutated == ("dout",)
    assert sb.locate_mutation()["code"] == "dout *= 2"
    layer = sb.new("layers", "Layer")
    layer.call("forward", X)
    assert sb.last_mutated == (0,)
    assert sb.locate_mutation()["code"] == "x -= 1"


def test_the_innermost_student_line_is_named_even_in_another_file(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", MUTATING))
    sb.call("layers", "via_helper", X)
    assert sb.last_mutated == (0,)
    site = sb.locate_mutation()
    assert (site["file"], site["code"]) == ("helpers.py", "x *= 3")


def test_calls_that_only_read_their_arguments_report_nothing(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", MUTATING))
    sb.call("layers", "relu_forward", X)
    assert sb.last_mutated == (0,)
    sb.call("layers", "clean", X, scale=2.0)
    assert sb.last_mutated == ()  # each call reports its own arguments only
    assert sb.call("layers", "reads_only", X) == pytest.approx(0.0)
    assert sb.last_mutated == ()
    assert sb.locate_mutation() is None  # re-run read-only: nothing writes


def test_expect_unmodified_raises_input_mutation_with_the_line(sandbox, tmp_path):
    from grader.checks.framework import CheckFailure
    from grader.checks.mutation import expect_unmodified

    sb = sandbox(write(tmp_path / "sub", MUTATING))
    sb.call("layers", "clean", X)
    expect_unmodified(sb, what="clean", names=("x",))  # nothing changed: no failure
    sb.call("layers", "relu_forward", X)
    with pytest.raises(CheckFailure) as caught:
        expect_unmodified(sb, what="relu_forward", names=("x",), course_misses="the course never checks")
    failure = caught.value
    assert failure.diagnoses[0].id == "input-mutation"
    assert "x in place at layers.py line 7: `out[out < 0] = 0`" in failure.diagnoses[0].hint
    assert failure.course_misses == "the course never checks"
    sb.call("layers", "relu_forward", X)
    expect_unmodified(sb, what="relu_forward", names=("x",), ignore=("x",))  # the course allows it


PROVIDED = {
    "fast_layers.py": """
        import numpy as np
        import torch
        from torch import nn


        def double(x):
            return 2 * np.asarray(x)


        def on_gpu(x):
            return torch.tensor(x)
        """,
    "layer_utils.py": """
        from fast_layers import *


        def twice(x):
            return double(x)


        def gpu(x):
            return on_gpu(x)


        def torch_loaded():
            import sys
            return "torch" in sys.modules
        """,
    "cheat.py": """
        import fast_layers
        import torch
        """,
}


def test_a_provided_file_may_import_a_forbidden_module_without_loading_it(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", PROVIDED), forbidden_imports=("torch",),
                 provided_files=("fast_layers.py",))
    assert np.array_equal(sb.call("layer_utils", "twice", X), 2 * X)
    assert sb.call("layer_utils", "torch_loaded") is False
    with pytest.raises(StudentException) as used:
        sb.call("layer_utils", "gpu", X)  # only what really needs torch fails, and says why
    assert "'torch.tensor' is used by the course's fast_layers.py, but the grader does not load" \
        in used.value.message
    with pytest.raises(StudentImportError) as cheat:
        sb.import_module("cheat")  # the student's own import of torch is still refused
    assert cheat.value.diagnosis == "forbidden-import"


def test_without_the_declaration_the_provided_file_is_policed(sandbox, tmp_path):
    sb = sandbox(write(tmp_path / "sub", PROVIDED), forbidden_imports=("torch",))
    with pytest.raises(StudentImportError) as caught:
        sb.import_module("layer_utils")
    assert caught.value.diagnosis == "forbidden-import"


def test_a_missing_or_broken_provided_file_costs_only_what_uses_it(sandbox, tmp_path):
    files = {"layer_utils.py": textwrap.dedent(PROVIDED["layer_utils.py"]) + "\n\ndef own(x):\n    return x + 1\n",
             "explicit.py": "from fast_layers import on_gpu\n\n\ndef gpu(x):\n    return on_gpu(x)\n"}
    missing = sandbox(write(tmp_path / "missing", files), provided_files=("fast_layers.py",))
    assert np.array_equal(missing.call("layer_utils", "own", X), X + 1)  # still imports
    with pytest.raises(StudentException):
        missing.call("layer_utils", "gpu", X)  # `import *` of a missing file brings no names
    with pytest.raises(StudentException) as caught:
        missing.call("explicit", "gpu", X)
    assert "course's fast_layers.py, which the submission does not have" in caught.value.message

    files["fast_layers.py"] = "def double(x):\n    return 2 * x\n\n\nraise RuntimeError('needs a GPU')\n"
    broken = sandbox(write(tmp_path / "broken", files), provided_files=("fast_layers.py",))
    assert np.array_equal(broken.call("layer_utils", "twice", X), 2 * X)  # defined before the failure
    with pytest.raises(StudentException) as caught:
        broken.call("explicit", "gpu", X)
    assert "fast_layers.py, which cannot be imported here (RuntimeError: needs a GPU)" in caught.value.message


HANDOUT = {
    "layers.py": """
        from __future__ import print_function
        from builtins import range
        from past.builtins import xrange
        from future import standard_library
        standard_library.install_aliases()
        import numpy as np


        def count(n):
            return sum(1 for _ in xrange(n))


        def flat(x):
            return np.reshape(x, newshape=(-1,))


        def as_float(x):
            return np.asarray(x, dtype=np.float)
        """,
}


def test_handout_imports_get_stand_ins_only_where_the_profile_allows_them(sandbox, tmp_path):
    folder = write(tmp_path / "sub", HANDOUT)
    allowed = sandbox(folder, handout_imports=("builtins", "__future__", "past.builtins", "future"))
    assert allowed.call("layers", "count", 4) == 4
    plain = sandbox(folder)
    with pytest.raises(StudentImportError) as caught:
        plain.import_module("layers")
    assert caught.value.diagnosis == "import-error" and "past" in caught.value.message


def test_numpy_compat_accepts_only_the_declared_old_calls(sandbox, tmp_path):
    folder = write(tmp_path / "sub", HANDOUT)
    imports = ("past.builtins", "future")
    shimmed = sandbox(folder, handout_imports=imports,
                      numpy_compat=("reshape-newshape", "builtin-type-aliases"))
    assert np.array_equal(shimmed.call("layers", "flat", X), X.ravel())
    assert shimmed.call("layers", "as_float", [1, 2]).dtype == np.float64
    strict = sandbox(folder, handout_imports=imports)
    with pytest.raises(StudentException) as caught:
        strict.call("layers", "flat", X)
    assert "newshape" in caught.value.message


def test_every_shim_says_which_numpy_removed_what():
    for name, (what, _install) in NUMPY_COMPAT.items():
        assert "NumPy" in what and any(ch.isdigit() for ch in what), name
    assert set(STAND_INS) >= {"past", "past.builtins", "future", "future.standard_library"}


PRELOAD_PROBE = {
    "probe.py": """
        import sys


        def loaded(name):
            return name in sys.modules


        def fraction():
            import fractions
            return str(fractions.Fraction(1, 3))


        def numpy_lists(name):
            import numpy
            return name in numpy.__all__ and name in dir(numpy)


        def numpy_tool_works():
            import numpy.testing
            numpy.testing.assert_allclose([1.0], [1.0])
            return True
        """,
    # Named like a library a profile preloads: never loaded in its place.
    "shadowed.py": """
        RAN = True
        """,
}


def test_preloaded_libraries_are_loaded_before_the_student_imports_them(sandbox, tmp_path):
    folder = write(tmp_path / "sub", PRELOAD_PROBE)
    plain = sandbox(folder)
    assert plain.call("probe", "loaded", "fractions") is False  # else the probe proves nothing
    warm = sandbox(folder, preload=("fractions", "no_such_library_anywhere", "shadowed"))
    assert warm.call("probe", "loaded", "fractions") is True
    assert warm.call("probe", "fraction") == "1/3"
    # An absent library and a student's file of that name are simply not loaded.
    assert warm.call("probe", "loaded", "no_such_library_anywhere") is False
    assert warm.call("probe", "loaded", "shadowed") is False


def test_a_forbidden_library_is_never_preloaded(sandbox, tmp_path):
    folder = write(tmp_path / "sub", PRELOAD_PROBE)
    strict = sandbox(folder, preload=("fractions",), forbidden_imports=("fractions",))
    assert strict.call("probe", "loaded", "fractions") is False
    with pytest.raises(StudentException) as caught:
        strict.call("probe", "fraction")  # refused as ever
    assert caught.value.diagnosis == "forbidden-import" and "fractions" in caught.value.message


def test_preloading_scipy_leaves_numpy_s_tools_unimported_and_listed(sandbox, tmp_path):
    # SciPy's array-API layer clones NumPy's namespace with a star import, which would import
    # numpy.f2py and numpy.testing (~0.1 s of each MyTorch worker's start): they stay unloaded
    # during the preload, and NumPy lists and serves them as ever once it is done.
    pytest.importorskip("scipy.special")
    folder = write(tmp_path / "sub", PRELOAD_PROBE)
    warm = sandbox(folder, preload=("scipy.special",))
    assert warm.call("probe", "loaded", "scipy.special") is True
    assert warm.call("probe", "loaded", "numpy.f2py") is False
    assert warm.call("probe", "loaded", "numpy.testing") is False
    assert warm.call("probe", "numpy_lists", "testing") is True
    assert warm.call("probe", "numpy_lists", "f2py") is True
    assert warm.call("probe", "numpy_tool_works") is True
