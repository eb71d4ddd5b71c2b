"""The student's own frames travel with an exception: file, line, function and the line's text,
as plain data, with the grader's, the sandbox's and NumPy's frames left out."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import ChannelViolation, StudentException, StudentImportError
from grader.sandbox.failures import _frames

from .conftest import GOOD, attack


def test_a_crash_carries_the_students_frames(sandbox):
    sb = sandbox(GOOD)
    lin = sb.new("layers", "Linear", 3, 5)
    with pytest.raises(StudentException) as info:
        lin.call("forward", np.ones((2, 4)))  # (2, 4) @ (3, 5): NumPy raises inside forward
    frames = info.value.frames
    assert frames == (("layers.py", 12, "forward", "return x @ self.W + self.b"),)
    assert all(type(line) is int for _file, line, _fn, _code in frames)


def test_a_syntax_error_points_at_its_line(sandbox):
    sb = sandbox(attack("syntax_error_optim"))
    with pytest.raises(StudentImportError) as info:
        sb.import_module("optim")
    file, line, _function, _code = info.value.frames[-1]
    assert file == "optim.py" and line == _syntax_line(info.value)


def _syntax_line(exc: StudentImportError) -> int:
    # "optim.py has a syntax error on line N: ..." names the same line as the frame.
    return int(exc.message.split("on line ")[1].split(":")[0])


def test_an_import_that_raises_points_at_the_module_line(sandbox, tmp_path):
    (tmp_path / "optim.py").write_text("DEFAULTS = {}\n\nLR = DEFAULTS['lr']\n")
    sb = sandbox(tmp_path)
    with pytest.raises(StudentImportError) as info:
        sb.import_module("optim")
    assert "raised KeyError when imported" in info.value.message
    assert info.value.frames == (("optim.py", 3, "<module>", "LR = DEFAULTS['lr']"),)


def test_frames_run_from_the_outermost_student_call_to_the_line_that_raised(sandbox, tmp_path):
    (tmp_path / "layers.py").write_text(
        "import numpy as np\n\n"
        "def inner(x):\n    return np.ones(3) + x\n\n"
        "def outer(x):\n    return inner(x)\n")
    sb = sandbox(tmp_path)
    with pytest.raises(StudentException) as info:
        sb.call("layers", "outer", np.ones(4))
    assert [(f, line, fn) for f, line, fn, _ in info.value.frames] == [
        ("layers.py", 7, "outer"), ("layers.py", 4, "inner")]
    assert "site-packages" not in repr(info.value.frames) and "grader" not in repr(info.value.frames)


@pytest.mark.parametrize("raw", ["layers.py:3", [["layers.py", "3", "f", "x"]], [["a", 1, "f"]],
                                 [[1, 2, 3, 4]], [["a", 1, "f", "x"]] * 40])
def test_frames_that_are_not_plain_data_are_a_channel_violation(raw):
    with pytest.raises(ChannelViolation):
        _frames(raw)


def test_no_frames_is_an_empty_tuple():
    assert _frames(None) == ()
    assert _frames([["layers.py", 3, "f", "x = 1"]]) == (("layers.py", 3, "f", "x = 1"),)


def test_a_numpy_message_ending_in_a_space_gets_its_full_stop_attached(sandbox, tmp_path):
    # NumPy's broadcast error ends in a space: the report once read "... (4,) ." (issue 22).
    (tmp_path / "layers.py").write_text("import numpy as np\n\ndef f(x):\n    return np.ones((2, 3)) + x\n")
    sb = sandbox(tmp_path)
    with pytest.raises(StudentException) as info:
        sb.call("layers", "f", np.ones(4))
    assert "shapes (2,3) (4,)" in info.value.message
    assert info.value.message.endswith("(4,).") and " ." not in info.value.message
