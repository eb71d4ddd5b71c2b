"""mytorch-hw1p1 accepts what the course's autograder accepts (docs/courses/mytorch-hw1p1.md),
charges one defect once, and keeps charging the real bugs the course's tests miss, saying so.
Each submission is the catalog's correct solution edited the way real submissions write it
(written here, no student code)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from grading_helpers import assert_full_marks, describe, grade_in_subprocesses, job

sys.path.insert(0, str(Path(__file__).resolve().parent / "mytorch"))

import mytorch_catalog as catalog  # noqa: E402

pytestmark = pytest.mark.slow

MLP, BN, ACT, LOSS, SGD = ("models/mlp.py", "mytorch/nn/batchnorm.py", "mytorch/nn/activation.py",
                           "mytorch/nn/loss.py", "mytorch/optim/sgd.py")
MODELS = ["mlp0", "mlp1", "mlp4"]

#: name -> (edits, components graded, whether it must get full marks)
CASES = {
    # Some semesters' handouts: backward "does not return anything"; dLdA0 is the debug attribute.
    "mlp-backward-returns-nothing": (((MLP, (
        ("            self.dLdA0 = dLdA0\n        return dLdA0", "            self.dLdA0 = dLdA0"),
        ("self.dLdZ1, self.dLdA1, self.dLdZ0, self.dLdA0 = dLdZ1, dLdA1, dLdZ0, dLdA0\n        return dLdA0",
         "self.dLdZ1, self.dLdA1, self.dLdZ0, self.dLdA0 = dLdZ1, dLdA1, dLdZ0, dLdA0"),
        ("                self.dLdA = [dLdA] + self.dLdA\n        return dLdA",
         "                self.dLdA = [dLdA] + self.dLdA"))),), MODELS, True),
    "batchnorm-flat-parameter-gradients": (((BN, (
        ("np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)", "np.sum(dLdBZ * self.NZ, axis=0)"),
        ("np.sum(dLdBZ, axis=0, keepdims=True)", "np.sum(dLdBZ, axis=0)"))),), ["batchnorm"], True),
    "float32-softmax-and-losses": (((ACT, (("self.A = expZ / np.sum(expZ, axis=1, keepdims=True)",
                                             "self.A = (expZ / np.sum(expZ, axis=1, keepdims=True)).astype(np.float32)"),)),
                                    (LOSS, (("return mse[0, 0]", "return np.array(mse[0, 0])"),
                                            ("        return L\n", "        return np.float32(L)\n")))),
                                   ["activations", "losses"], True),
    "cross-entropy-eps-in-log": (((LOSS, (("L = np.sum(crossentropy) / N",
                                           "L = np.sum(crossentropy) / N + 1e-9"),)),), ["losses"], True),
    # One defect, charged once: a flat dLdb costs Linear's checks, not every MLP's again.
    "linear-dLdb-flat": (catalog.one("mytorch/nn/linear.py", catalog.LIN_DB, "self.dLdb = np.sum(dLdZ, axis=0)"),
                         ["linear", *MODELS], False),
    # Real bugs the course's tests miss: charged, and said to be missed.
    "momentum-bias-velocity-from-dLdW": (catalog.one(SGD, "self.v_b[i] = self.mu * self.v_b[i] + self.l[i].dLdb",
                                                     "self.v_b[i] = self.mu * self.v_b[i] + self.l[i].dLdW"),
                                         ["sgd"], False),
    "batchnorm-gradients-swapped": (((BN, (
        ("self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)",
         "self.dLdBb = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)"),
        ("self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)",
         "self.dLdBW = np.sum(dLdBZ, axis=0, keepdims=True)"))),), ["batchnorm"], False),
}


def models_in_mytorch(root: Path) -> Path:
    """The solution with its models where some handouts keep them: mytorch/models/mlp.py."""
    dest = catalog.materialize(root)
    (dest / "mytorch" / "models").mkdir()
    shutil.move(str(dest / MLP), dest / "mytorch" / "models" / "mlp.py")
    (dest / "mytorch" / "models" / "__init__.py").write_text("")
    shutil.rmtree(dest / "models")
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mytorch-accepts")
    jobs = [job(name, catalog.materialize(root / name, edits), rubric="mytorch-hw1p1", include_tags=tags)
            for name, (edits, tags, _) in CASES.items()]
    jobs.append(job("models-in-mytorch-package", models_in_mytorch(root / "models-in-mytorch-package"),
                    rubric="mytorch-hw1p1", include_tags=MODELS))
    return grade_in_subprocesses(jobs, root, processes=1)


@pytest.mark.parametrize("name", [*[n for n, (_, _, full) in CASES.items() if full],
                                  "models-in-mytorch-package"])
def test_what_the_course_accepts_gets_full_marks(graded, name: str) -> None:
    assert_full_marks(graded[name], name)


def test_a_linear_defect_is_charged_once(graded) -> None:
    result = graded["linear-dLdb-flat"]
    by_tag = {}
    for c in result["checks"]:
        by_tag.setdefault(c["tags"][0], []).append(c)
    assert any(c["score"] < c["max_score"] for c in by_tag["linear"]), describe(result)
    for tag in MODELS:
        assert all(c["score"] == c["max_score"] for c in by_tag[tag]), describe(result)
    said = [c for tag in MODELS for c in by_tag[tag] if c["status"] == "failed"]
    assert said and all("charged by the Linear checks" in c["diagnoses"][0]["hint"] for c in said)


@pytest.mark.parametrize("name, check, diagnosis", [
    ("momentum-bias-velocity-from-dLdW", "test_sgd.py::test_momentum", "momentum-state"),
    ("batchnorm-gradients-swapped", "test_batchnorm.py::test_backward", "wrong-gradient"),
])
def test_bugs_the_course_misses_are_charged_and_said(graded, name: str, check: str, diagnosis: str) -> None:
    hits = [c for c in graded[name]["checks"] if c["name"] == check and c["score"] < c["max_score"]]
    assert hits, describe(graded[name])
    assert diagnosis in [d["id"] for d in hits[0]["diagnoses"]]
    assert "course" in hits[0]["course_misses"]
