"""MyTorch 2.0.x (S22-S23) is recognised from the submission's own files and graded under its
own conventions: detection (v2.py), the rubric's override, and the pure conversions and
signatures of v2_adapters.py / v2.py. The fixtures are written here, in the 2.0.x style."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from grader.profiles import ProfileError, check_layout, get_profile
from grader.profiles.mytorch_hw1p1 import releases, v2, v2_adapters
from grader.rubric import loads_rubric

HERE = Path(__file__).resolve().parent
V2_SOLUTION, V2_STUB = HERE / "mytorch_v2" / "solution", HERE / "mytorch_v2" / "stub"
V3_SOLUTION = HERE / "mytorch" / "solution"
PROFILE = get_profile("mytorch-hw1p1")


def copy(src: Path, dest: Path, files: dict[str, str]) -> Path:
    """`src` copied to `dest`, with `files` (relative path -> text) written over."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)
    return dest


def test_the_2_0_x_solution_and_stub_are_v2():
    assert PROFILE.release_for(V2_SOLUTION).name == v2.V2.name
    assert PROFILE.release_for(V2_STUB).name == v2.V2.name


def test_without_activation_methods_the_handout_names_decide(tmp_path: Path):
    bare = "class Sigmoid:\n    pass\n\n\nclass ReLU:\n    pass\n"
    folder = copy(V2_STUB, tmp_path / "mlp", {v2.ACTIVATION_FILE: bare})
    assert "models/mlp.py" in PROFILE.release_for(folder).why
    folder = copy(V2_STUB, tmp_path / "linear", {v2.ACTIVATION_FILE: bare, v2.MLP_FILE: ""})
    assert "linear.py" in PROFILE.release_for(folder).why
    folder = copy(V2_STUB, tmp_path / "none", {v2.ACTIVATION_FILE: bare, v2.MLP_FILE: "",
                                                 v2.LINEAR_FILE: ""})
    assert PROFILE.release_for(folder).name != v2.V2.name


def test_the_3_0_x_solution_is_not_v2():
    assert PROFILE.release_for(V3_SOLUTION).name != v2.V2.name


def test_the_autograder_version_line_decides(tmp_path: Path):
    version = "autograder_version = '{}'\n"
    old = copy(V3_SOLUTION, tmp_path / "a", {"hw1p1_autograder.py": version.format("2.0.1")})
    assert PROFILE.release_for(old).name == v2.V2.name
    assert "autograder_version 2.x" in PROFILE.release_for(old).why
    new = copy(V2_SOLUTION, tmp_path / "b", {"hw1p1_autograder.py": version.format("3.0.1")})
    assert PROFILE.release_for(new).name != v2.V2.name


def test_mixed_arities_are_decided_by_the_handout_names(tmp_path: Path):
    """One activation written the other release's way is a bug, not a release."""
    source = (V2_SOLUTION / v2.ACTIVATION_FILE).read_text().replace(
        "    def backward(self):\n        return self.A * (1.0 - self.A)",
        "    def backward(self, dLdA):\n        return dLdA * self.A * (1.0 - self.A)")
    folder = copy(V2_SOLUTION, tmp_path / "v2", {v2.ACTIVATION_FILE: source})
    assert v2.backward_arities(source)["Sigmoid"] == 1
    assert PROFILE.release_for(folder).name == v2.V2.name
    v3_source = (V3_SOLUTION / v2.ACTIVATION_FILE).read_text().replace(
        "    def backward(self, dLdA):\n        dAdZ = np.where", "    def backward(self):\n        dLdA = 1.0\n        dAdZ = np.where")
    folder = copy(V3_SOLUTION, tmp_path / "v3", {v2.ACTIVATION_FILE: v3_source})
    assert PROFILE.release_for(folder).name != v2.V2.name


def test_the_rubric_chooses_the_release_and_its_conventions():
    chosen = PROFILE.release_for(V3_SOLUTION, v2.V2.name)
    assert chosen.name == v2.V2.name and "rubric" in chosen.why
    assert chosen.conventions[v2.API] == v2.V2_API and chosen.absent == {"gelu", "softmax"}
    rubric = loads_rubric(f'profile = "mytorch-hw1p1"\n[conventions]\nrelease = "{v2.V2.name}"\n')
    assert rubric.release == v2.V2.name and rubric.conventions[v2.API] == v2.V3_API  # implied later
    assert loads_rubric('profile = "mytorch-hw1p1"\n[conventions]\napi = "2.0.x"\n').conventions[v2.API] == "2.0.x"
    assert v2.V2 in releases.RELEASES


def test_v2_leaves_gelu_and_softmax_out_but_keeps_the_activations():
    assert v2.V2.missing_part(["activations", "gelu"]) == "gelu"
    assert v2.V2.missing_part(["activations", "relu"]) is None
    assert v2.V2.missing_part(["linear"]) is None


def test_conversions_into_3_0_x_units_are_exact():
    A = np.arange(6.0).reshape(3, 2)
    assert v2_adapters.loss_value("MSELoss", 1.5) == 3.0
    assert v2_adapters.loss_value("CrossEntropyLoss", 1.5) == 1.5
    np.testing.assert_array_equal(v2_adapters.loss_gradient("CrossEntropyLoss", A, 3), A / 3)
    np.testing.assert_array_equal(v2_adapters.loss_gradient("MSELoss", A, 3), 2 * A)
    assert v2_adapters.loss_gradient("MSELoss", None, 3) is None
    np.testing.assert_array_equal(v2_adapters.linear_gradient(A, 4), 4 * A)


def test_summing_in_a_2_0_x_handout_is_named_as_the_3_0_x_convention():
    expected = np.arange(1.0, 7.0).reshape(2, 3)
    found = v2.linear_scale_signature(expected * 5, expected, what="Linear.dLdW", n=5)
    assert found.id == "gradient-scale" and "3.0.x convention" in found.hint and "/ N" in found.hint
    twice = v2.linear_scale_signature(expected / 5, expected, what="Linear.dLdW", n=5)
    assert twice.id == "gradient-scale" and "twice" in twice.hint
    assert v2.linear_scale_signature(expected, expected, what="Linear.dLdW", n=5) is None


def test_the_earliest_2_0_1_layout_is_refused_with_the_way_out(tmp_path: Path):
    early = tmp_path / "early"
    for name in ("mytorch/__init__.py", "mytorch/nn/__init__.py", "mytorch/nn/modules/linear.py",
                 "mytorch/models/__init__.py", "mytorch/models/hw1.py"):
        (early / name).parent.mkdir(parents=True, exist_ok=True)
        (early / name).write_text("")
    try:
        check_layout(early, PROFILE)
    except ProfileError as exc:
        message = str(exc)
    else:
        message = ""
    assert "earliest 2.0.1" in message and "models/mlp.py" in message and "\n" not in message
    check_layout(V2_SOLUTION, PROFILE)  # the 2.0.x handout is graded


def models_build(dest: Path) -> Path:
    """The 2.0.x solution as the mytorch/models builds lay it out and define MSELoss."""
    folder = copy(V2_SOLUTION, dest, {
        v2.MODELS_MLP_FILE: (V2_SOLUTION / v2.MLP_FILE).read_text(),
        "mytorch/models/__init__.py": "from mytorch.models.mlp import MLP0, MLP1, MLP4\n",
        "mytorch/nn/loss.py": (V2_SOLUTION / "mytorch/nn/loss.py").read_text()
        .replace("/ (2 * self.N * self.C)", "/ (self.N * self.C)")
        .replace("return (self.A - self.Y) / (self.N * self.C)", "return self.A - self.Y")})
    shutil.rmtree(folder / "models")
    return folder


def test_the_mytorch_models_build_is_told_apart(tmp_path: Path):
    found = PROFILE.release_for(models_build(tmp_path / "early"))
    assert found.name == v2.V2_MODELS.name and "mytorch/models/mlp.py" in found.why
    assert found.conventions[v2.API] == v2.V2_MODELS_API and v2.is_v2(v2.V2_MODELS_API)
    A = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(v2_adapters.loss_gradient("MSELoss", A, 3, early=True), 2 * A / 6)
    assert v2_adapters.loss_value("MSELoss", 1.5, early=True) == 1.5
