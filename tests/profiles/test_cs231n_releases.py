"""cs231n-fc across the years: which year and assignment a folder is (releases.py, from files
each year's handout ships), what each assigns, assignment1's neural_net.TwoLayerNet graded
(2016-2020: loss(X, y=None, reg=0.0) with reg * sum(W**2)), and a repository root holding
several assignments refused with the folders to pass. The fixtures are written here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import describe, grade_in_subprocesses, job

from grader.profiles.cs231n_fc import releases as R

FIXTURES = Path(__file__).resolve().parent / "cs231n"
NEURAL_NET = FIXTURES / "neural_net_2019"
SOLUTION = FIXTURES / "solution"


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


BOTH = "class TwoLayerNet(object):\n    pass\n\n\nclass FullyConnectedNet(object):\n    pass\n"
LAYERS = {"cs231n/layers.py": "def affine_forward(x, w, b):\n    pass\n\n\ndef layernorm_forward(x, gamma, beta, ln_param):\n    pass\n"}


@pytest.mark.parametrize("files, release", [
    # 2016-2020 assignment1: neural_net.py, no layers.py
    ({"cs231n/classifiers/neural_net.py": "class TwoLayerNet(object):\n    pass\n",
      "cs231n/classifiers/k_nearest_neighbor.py": "", "knn.ipynb": "{}"}, R.OLD_A1),
    # 2016-2020 assignment2: both nets beside the conv layers
    ({**LAYERS, "cs231n/classifiers/fc_net.py": BOTH, "cs231n/fast_layers.py": "import torch\n"}, R.OLD_A2),
    # 2017 assignment2: no layernorm yet; dropout's p read from the student's dropout_forward
    ({"cs231n/layers.py": "def dropout_forward(x, dropout_param):\n    pass\n",
      "cs231n/classifiers/fc_net.py": BOTH, "cs231n/fast_layers.py": ""}, R.OLD_A2_2017),
    # 2021-2024 assignment1: TwoLayerNet only
    ({**LAYERS, "cs231n/classifiers/fc_net.py": "class TwoLayerNet(object):\n    pass\n",
      "two_layer_net.ipynb": "{}"}, R.MID_A1),
    # 2021-2024 (and 2025+) assignment2: FullyConnectedNet only
    ({**LAYERS, "cs231n/classifiers/fc_net.py": "class FullyConnectedNet(object):\n    pass\n",
      "cs231n/fast_layers.py": ""}, R.MID_A2),
    # 2025+ assignment1: both nets with assignment1's classifiers
    ({**LAYERS, "cs231n/classifiers/fc_net.py": BOTH, "cs231n/classifiers/softmax.py": "",
      "FullyConnectedNets.ipynb": "{}"}, R.NEW_A1),
], ids=["2016-20-a1", "2016-20-a2", "2017-a2", "2021-24-a1", "2021-24-a2", "2025-a1"])
def test_release_from_the_folders_files(tmp_path, files, release):
    assert R.detect(folder(tmp_path, files)) == release


def test_each_release_assigns_what_its_year_does():
    assert R.OLD_A1.assigned == {"neural-net"}
    assert R.MID_A1.assigned == {"affine", "relu", "losses", "two-layer-net"}
    assert "two-layer-net" not in R.MID_A2.assigned and "batchnorm" in R.MID_A2.assigned
    assert {"fc-net", "update-rules"} <= R.NEW_A1.assigned and "dropout" not in R.NEW_A1.assigned
    assert "neural-net" not in R.OLD_A2.assigned and R.OLD_A2.assigned >= {"fc-net", "two-layer-net"}


HALF_REG = ("loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
            "loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))")


PREDICT = ("        return np.argmax(self.loss(X), axis=1)",
           "        y_pred = None\n        return np.argmax(y_pred)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("cs231n-years")
    shutil.copytree(NEURAL_NET, root / "nn")
    shutil.copytree(NEURAL_NET, root / "nn-half-reg")
    source = root / "nn-half-reg" / "cs231n" / "classifiers" / "neural_net.py"
    text = source.read_text()
    assert HALF_REG[0] in text
    source.write_text(text.replace(*HALF_REG))
    # The dev set's real bug the notebook's loss checks miss: argmax over a y_pred still None.
    shutil.copytree(NEURAL_NET, root / "nn-predict")
    source = root / "nn-predict" / "cs231n" / "classifiers" / "neural_net.py"
    text = source.read_text()
    assert PREDICT[0] in text
    source.write_text(text.replace(*PREDICT))
    jobs = [job("nn", root / "nn", rubric="cs231n-fc"), job("nn-half-reg", root / "nn-half-reg", rubric="cs231n-fc"),
            job("nn-predict", root / "nn-predict", rubric="cs231n-fc")]
    return grade_in_subprocesses(jobs, root, processes=1)


@pytest.mark.slow
def test_old_assignment1_grades_neural_net_only(graded):
    result = graded["nn"]
    assert not result["error"] and result["score"] == result["max_score"] == 12, describe(result)
    assert {c["tags"][0] for c in result["checks"]} == {"neural-net"}, describe(result)
    assert result["release"] == R.OLD_A1.name
    assert {p["component"] for p in result["not_assigned"]} >= {"fc-net", "affine", "training"}


@pytest.mark.slow
def test_old_assignment1_halved_regulariser_is_named(graded):
    result = graded["nn-half-reg"]
    failed = [c for c in result["checks"] if c["status"] == "failed"]
    assert failed and all(c["tags"][0] == "neural-net" for c in failed), describe(result)
    assert "regularization" in {d["id"] for c in failed for d in c["diagnoses"]}, describe(result)


@pytest.mark.slow
def test_old_assignment1_predict_is_graded(graded):
    result = graded["nn-predict"]
    failed = [c for c in result["checks"] if c["status"] == "failed"]
    assert [c["name"].split("::")[-1] for c in failed] == ["test_neural_net_predict"], describe(result)
    assert failed[0]["diagnoses"][0]["id"] == "shape-mismatch", describe(result)
    assert "predict" in failed[0]["message"], describe(result)
    # The fix names the argmax over rows, not the generic "print the shapes".
    assert "axis=1" in failed[0]["diagnoses"][0]["hint"], describe(result)


def test_repository_root_with_several_assignments_names_each(tmp_path):
    shutil.copytree(NEURAL_NET, tmp_path / "assignment1")
    (tmp_path / "assignment2" / "cs231n").mkdir(parents=True)
    shutil.copy(SOLUTION / "cs231n" / "layers.py", tmp_path / "assignment2" / "cs231n" / "layers.py")
    run = subprocess.run([sys.executable, "-m", "grader", "run", str(tmp_path), "--profile", "cs231n-fc"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "several assignments (assignment1/, assignment2/)" in run.stderr
    assert "Traceback" not in run.stderr
