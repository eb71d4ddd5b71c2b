"""End to end: a crash points at the student's own line, and a shape error raised where a wrong
gradient was used blames the code that made it (issue 22), in the terminal and in results.json."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import REFERENCE, REPO, SUBMISSIONS

FAST = SUBMISSIONS / "fast.toml"
MYTORCH_SOLUTION = REPO / "tests" / "profiles" / "mytorch" / "solution"


def grader(*args: str, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def edited(src: Path, dest: Path, file: str, old: str, new: str) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {file}"
    path.write_text(text.replace(old, new))
    return dest


def graded_tests(done: subprocess.CompletedProcess[str], out: Path) -> list[dict]:
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())["tests"]


@pytest.mark.slow
def test_db_not_summed_blames_linear_backward_and_shows_the_optimizer_line(tmp_path):
    sub = edited(REFERENCE, tmp_path / "sub", "layers.py", "self.db = grad_out.sum(axis=0)",
                 "self.db = grad_out")
    out = tmp_path / "results.json"
    tests = graded_tests(grader("run", str(sub), "--rubric", str(FAST), "--format", "json", "-o", str(out)), out)
    crashed = [t for t in tests if "network.train() raised ValueError" in t.get("output", "")]
    assert crashed, "no training check reports the crash in train()"
    output = crashed[0]["output"]
    # the producer first, then where it tripped, then the student's own line
    assert "db has shape" in output and "Fix Linear.backward" in output
    assert output.index("db has shape") < output.index("network.train() raised")
    assert "optim.py, line" in output and "layer.b -= self.lr * layer.db" in output
    assert "site-packages" not in output and "grader/" not in output

    terminal = grader("run", str(sub), "--rubric", str(FAST))
    lines = terminal.stdout.splitlines()
    where = next(i for i, line in enumerate(lines) if "optim.py, line" in line)
    assert lines[where + 1].strip() == "layer.b -= self.lr * layer.db"
    # One card: the shape error blamed on db is the bias-gradient bug Linear's checks name.
    assert "(1 problem)" in terminal.stdout and "Problem 2" not in terminal.stdout
    assert "Where your code tripped over it (shape-mismatch in check" in terminal.stdout


@pytest.mark.slow
def test_an_import_time_error_points_at_its_line(tmp_path):
    sub = edited(REFERENCE, tmp_path / "sub", "optim.py", "from __future__ import annotations\n",
                 'from __future__ import annotations\nDEFAULTS = {}\nLR = DEFAULTS["lr"]\n')
    out = tmp_path / "results.json"
    tests = graded_tests(grader("run", str(sub), "--rubric", str(FAST), "--format", "json", "-o", str(out)), out)
    imports = next(t for t in tests if t["name"].startswith("optim.py imports"))
    assert "raised KeyError when imported" in imports["output"]
    assert "optim.py, line 5, in <module>" in imports["output"] and 'LR = DEFAULTS["lr"]' in imports["output"]


@pytest.mark.slow
def test_mytorch_transposed_dLdW_blames_linear_not_sgd(tmp_path):
    sub = edited(MYTORCH_SOLUTION, tmp_path / "sub", "mytorch/nn/linear.py",
                 "self.dLdW = dLdZ.T @ self.A", "self.dLdW = self.A.T @ dLdZ")
    out = tmp_path / "results.json"
    tests = graded_tests(grader("run", str(sub), "--profile", "mytorch-hw1p1", "--format", "json", "-o", str(out)),
                     out)
    training = [t for t in tests if "SGD.step() raised" in t.get("output", "")]
    assert training, "no training check reports SGD.step's error"
    output = training[0]["output"]
    # One card: Linear's own check names the transposed dLdW, so the training checks are told
    # under it (naming the gradient, the contract and the producer), not as a second problem.
    assert "Linear 1 of 2's dLdW has shape (784, 64)" in output
    assert "This follows from **`shape-mismatch`** (Linear.dLdW has shape (2, 3)" in output
    assert "the contract is (64, 784), the shape of W" in output
    assert "Fix Linear.backward" in output
    assert "mytorch/optim/sgd.py, line" in output
    assert all("This follows from" in t["output"] for t in tests
               if t["output"].startswith("**`shape-mismatch`** — Linear 1 of 2's dLdW"))


def _stubbed(src: Path, dest: Path) -> Path:
    """A copy of `src` whose every method body only raises NotImplementedError (a template)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for path in dest.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        item.body = [ast.Raise(exc=ast.Name("NotImplementedError", ast.Load()))]
        path.write_text(ast.unparse(ast.fix_missing_locations(tree)))
    return dest


@pytest.mark.slow
def test_a_mytorch_template_gets_the_first_run_report_in_the_handouts_order(tmp_path):
    sub = _stubbed(MYTORCH_SOLUTION, tmp_path / "handout")
    done = grader("run", str(sub), "--profile", "mytorch-hw1p1")
    assert done.returncode == 0, done.stderr
    report = done.stdout
    assert "Nothing is implemented yet" in report and "[FAIL]" not in report
    assert "1. mytorch/nn/linear.py: Linear.__init__, Linear.forward, Linear.backward (start here)" in report
    assert report.index("mytorch/nn/linear.py") < report.index("mytorch/optim/sgd.py") \
        < report.index("models/mlp.py")


CS231N_SOLUTION = REPO / "tests" / "profiles" / "cs231n" / "solution"


@pytest.mark.slow
def test_cs231n_bias_gradient_with_the_batch_axis_blames_the_loss_not_the_update_rule(tmp_path):
    sub = edited(CS231N_SOLUTION, tmp_path / "sub", "cs231n/layers.py", "db = np.sum(dout, axis=0)", "db = dout")
    out = tmp_path / "results.json"
    tests = graded_tests(grader("run", str(sub), "--profile", "cs231n-fc", "--format", "json", "-o", str(out)),
                         out)
    training = [t for t in tests if "training" in t["tags"] and t["status"] == "failed"]
    assert training
    for test in training:
        ids = [d["id"] for d in test["extra_data"]["diagnoses"]]
        assert ids == ["shape-mismatch"], (test["name"], ids)
        assert "grads['b1'] has shape" in test["output"]
    # One card for the cause, affine_backward's db: the training tests follow from it and say so.
    assert all("This follows from" in t["output"] and "affine_backward's db has shape" in t["output"]
               for t in training), training[0]["output"]
