"""Package submissions in the worker: dotted modules import as on the student's machine,
forbidden imports follow the profile, a broken module costs only what imports it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.profiles import get_profile
from grader.sandbox import Sandbox, StudentFailure

MYTORCH = get_profile("mytorch-hw1p1")


def open_sandbox(path: Path, **kwargs) -> Sandbox:
    return Sandbox(path, forbidden_imports=MYTORCH.forbidden_imports, packages=True, **kwargs)


def test_package_modules_import_with_absolute_imports(mytorch_solution: Path):
    with open_sandbox(mytorch_solution) as sb:
        model = sb.new("models.mlp", "MLP1")
        out = model.call("forward", np.ones((2, 2)))
        assert out.shape == (2, 2)
        # scipy.special.erf is allowed for GELU under this profile
        gelu = sb.new("mytorch.nn.activation", "GELU")
        assert np.allclose(gelu.call("forward", np.zeros((1, 1))), 0.0)


def test_packages_are_not_copied_unless_asked(mytorch_solution: Path):
    with Sandbox(mytorch_solution, forbidden_imports=MYTORCH.forbidden_imports) as sb:
        with pytest.raises(StudentFailure, match="no mytorch/nn/linear.py"):
            sb.import_module("mytorch.nn.linear")


def test_a_missing_module_is_named_by_its_file(mytorch_solution: Path):
    (mytorch_solution / "mytorch/nn/batchnorm.py").unlink()
    (mytorch_solution / "mytorch/nn/__init__.py").write_text("")
    with open_sandbox(mytorch_solution) as sb:
        with pytest.raises(StudentFailure) as info:
            sb.import_module("mytorch.nn.batchnorm")
        assert info.value.diagnosis == "missing-api"
        assert "mytorch/nn/batchnorm.py" in info.value.message
        sb.import_module("mytorch.nn.linear")  # the rest still imports


def test_a_broken_module_names_the_file_that_fails(mytorch_solution: Path):
    loss = mytorch_solution / "mytorch/nn/loss.py"
    loss.write_text("raise RuntimeError('unfinished')\n" + loss.read_text())
    with open_sandbox(mytorch_solution) as sb:
        with pytest.raises(StudentFailure) as info:
            sb.import_module("mytorch.nn.linear")
        assert info.value.diagnosis == "import-error"
        assert "because mytorch/nn/loss.py fails" in info.value.message
        sb.import_module("mytorch.optim.sgd")  # another package: unaffected


def test_forbidden_imports_follow_the_profile(mytorch_solution: Path):
    act = mytorch_solution / "mytorch/nn/activation.py"
    act.write_text("import torch\n" + act.read_text())
    with open_sandbox(mytorch_solution) as sb:
        with pytest.raises(StudentFailure) as info:
            sb.import_module("mytorch.nn.activation")
        assert info.value.diagnosis == "forbidden-import"


def test_namespace_holds_remote_objects(mytorch_solution: Path):
    with open_sandbox(mytorch_solution) as sb:
        layer = sb.namespace(W=np.ones((2, 3)), b=np.zeros((2, 1)), dLdW=np.ones((2, 3)),
                             dLdb=np.ones((2, 1)))
        sgd = sb.new("mytorch.optim.sgd", "SGD", sb.namespace(layers=[layer]), lr=0.5)
        sgd.call("step")
        assert np.allclose(layer.get("W"), 0.5) and np.allclose(layer.get("b"), -0.5)


def test_a_failed_package_import_fails_every_time(mytorch_solution: Path):
    """Submodules imported before the package's __init__.py failed are forgotten, so the
    next import fails the same way (the order of the checks cannot change a grade)."""
    loss = mytorch_solution / "mytorch/nn/loss.py"
    loss.write_text("raise RuntimeError('unfinished')\n" + loss.read_text())
    with open_sandbox(mytorch_solution) as sb:
        for _ in range(2):
            with pytest.raises(StudentFailure, match="mytorch/nn/loss.py fails"):
                sb.import_module("mytorch.nn.activation")


CS231N = Path(__file__).resolve().parent / "cs231n" / "solution"


def test_call_keep_leaves_an_opaque_cache_in_the_worker(tmp_path: Path):
    """CS231n's `(out, cache)`: out crosses as data, the cache (here the student's own object,
    which the channel could not carry) stays behind a handle and round-trips to backward."""
    import shutil
    sub = shutil.copytree(CS231N, tmp_path / "sub")
    layers = sub / "cs231n" / "layers.py"
    layers.write_text(layers.read_text().replace("    cache = x\n    return out, cache",
                                                 "    cache = _Box(x)\n    return out, cache")
                      .replace("    x = cache\n", "    x = cache.x\n")
                      + "\n\nclass _Box:\n    def __init__(self, x):\n        self.x = x\n")
    with open_sandbox(sub) as sb:
        x = np.array([[-1.0, 2.0]])
        out, cache = sb.call_keep("cs231n.layers", "relu_forward", x, keep=(1,))
        assert np.array_equal(out, [[0.0, 2.0]])
        assert cache.type_name == "_Box"
        assert np.array_equal(sb.call("cs231n.layers", "relu_backward", np.ones((1, 2)), cache), [[0.0, 1.0]])
        # a plain dict in the worker: the student's in-place edits stay visible there
        param = sb.mapping(mode="train", p=0.5)
        param.call("__setitem__", "running_mean", np.zeros(2))
        assert set(param.call("copy")) == {"mode", "p", "running_mean"}


def test_package_relative_imports_work(tmp_path: Path):
    """fc_net.py imports `from ..layers import *` and the course's layer_utils as the student has them."""
    import shutil
    sub = shutil.copytree(CS231N, tmp_path / "sub")
    with open_sandbox(sub) as sb:
        net = sb.new("cs231n.classifiers.fc_net", "FullyConnectedNet", [3], input_dim=4, num_classes=2)
        assert np.asarray(net.call("loss", np.ones((2, 4)))).shape == (2, 2)
