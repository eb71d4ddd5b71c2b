"""A CS231n training step sends every parameter's update-rule call in one request
(CS231n.pairs); its failures must be the ones the calls made one by one would raise: the
first parameter whose result is not a pair is named, a rule that raises is reported as its
own call, and nothing after the failing call runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from grader.checks.framework import CheckFailure
from grader.profiles import get_profile
from grader.profiles.cs231n_fc.adapters import CS231n
from grader.profiles.cs231n_fc.layout import MODULES
from grader.profiles.cs231n_fc.training import TRACED_STEPS, StudentNet
from grader.sandbox import Sandbox, StudentException
from grader.training.runs import init_params

SOLUTION = Path(__file__).resolve().parent / "cs231n" / "solution"
PROFILE = get_profile("cs231n-fc")

# sgd that breaks on b2 (the only gradient of shape (10,)), after noting the shape of the
# gradient of each call in SEEN (read back with seen(), to tell which calls ran).
RULE = '''
SEEN = []


def seen():
    return SEEN


def sgd(w, dw, config=None):
    SEEN.append(list(dw.shape))
    if dw.shape == (10,):
        {bug}
    config = {{"learning_rate": 1e-2}} if config is None else config
    return w - config["learning_rate"] * dw, config
'''


def submission(tmp_path: Path, bug: str) -> Path:
    root = tmp_path / "submission"
    shutil.copytree(SOLUTION, root)
    optim = root / "cs231n" / "optim.py"
    optim.write_text(optim.read_text() + RULE.format(bug=bug))
    return root


def one_step(root: Path, calls: list | None = None) -> StudentNet:
    """A StudentNet after one training step; `calls` gets the gradient shape of each rule call."""
    start = init_params((784, 16, 10), 0)
    X = np.random.default_rng(0).normal(size=(8, 784))
    Y = np.eye(10)[np.arange(8) % 10]
    with Sandbox(root, forbidden_imports=PROFILE.forbidden_imports, packages=True) as sb:
        try:
            net = StudentNet(CS231n(SimpleNamespace(sandbox=sb)), start, "sgd", 1e-2)
            net.step(X, Y, np.arange(8))
            return net
        finally:
            if calls is not None:
                calls.extend(sb.call(MODULES["optim"], "seen"))


def test_a_step_updates_every_parameter_from_its_own_gradient(tmp_path):
    calls: list = []
    start = init_params((784, 16, 10), 0)
    net = one_step(submission(tmp_path, "pass"), calls)
    assert [W.shape for W, _ in net.params()] == [W.shape for W, _ in start]
    assert all(not np.array_equal(W, W0) for (W, _), (W0, _) in zip(net.params(), start))
    assert calls == [[784, 16], [16], [16, 10], [10]]  # W1, b1, W2, b2: one call each
    assert len(net.trace) == 1


def test_a_result_that_is_not_a_pair_is_named_as_the_single_call_names_it(tmp_path):
    with pytest.raises(CheckFailure) as info:
        one_step(submission(tmp_path, "return w - 1e-2 * dw"))
    (diagnosis,) = info.value.diagnoses
    assert diagnosis.id == "missing-api"
    assert diagnosis.hint.startswith("sgd must return (next_w, config), got [")
    # W1, b1 and W2's results were pairs: the one named is b2's next_w (10 numbers).
    assert len(diagnosis.hint.split("got ")[1].strip("[]").split()) == 10


def test_a_rule_that_raises_is_its_own_failure_and_stops_the_step(tmp_path):
    calls: list = []
    with pytest.raises(StudentException) as info:
        one_step(submission(tmp_path, "raise ValueError('bias not supported')"), calls)
    assert "cs231n.optim.sgd() raised ValueError: bias not supported" in info.value.message
    assert calls == [[784, 16], [16], [16, 10], [10]]


def steps(root: Path, count: int, *, keep: bool = True,
          rule: str = "sgd_momentum") -> tuple[StudentNet, list[int]]:
    """A StudentNet after `count` steps (`keep=False`: never in the worker) and the round trips
    each step took."""
    start = init_params((784, 16, 10), 0)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(4 * count, 784)), np.eye(10)[rng.integers(0, 10, size=4 * count)]
    trips = []
    with Sandbox(root, forbidden_imports=PROFILE.forbidden_imports, packages=True) as sb:
        net = StudentNet(CS231n(SimpleNamespace(sandbox=sb)), start, rule, 1e-2)
        net._keepable = keep
        for _ in range(count):
            seq = sb._seq
            net.step(X, Y, rng.choice(len(X), size=8, replace=False))
            trips.append(sb._seq - seq)
        net.params()
    return net, trips


def test_steps_after_the_trace_keep_everything_in_the_worker_and_compute_the_same(tmp_path):
    root = submission(tmp_path, "pass")
    kept, trips = steps(root, TRACED_STEPS + 4)
    direct, direct_trips = steps(root, TRACED_STEPS + 4, keep=False)
    # The first step also imports optim.py and sends the training set, once: every later step
    # takes its batch's rows there, the traced ones too (a net never kept sends its batch).
    assert trips[1:] == [2] * (TRACED_STEPS - 1) + [1] * 4
    assert trips[0] == direct_trips[0] + 2
    assert direct_trips[1:] == [2] * (TRACED_STEPS + 3)
    assert kept.losses == direct.losses  # bit for bit
    for (W, b), (W2, b2) in zip(kept.params(), direct.params()):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)
    assert len(kept.trace) == TRACED_STEPS


def test_a_rule_whose_next_w_the_grader_converts_keeps_every_step_here(tmp_path):
    root = submission(tmp_path, "pass")
    optim = root / "cs231n" / "optim.py"
    optim.write_text(optim.read_text() + '''

def sgd32(w, dw, config=None):
    return (w - 1e-2 * dw).astype("float32"), config
''')
    net, trips = steps(root, TRACED_STEPS + 2, rule="sgd32")
    assert trips[1:] == [2] * (TRACED_STEPS + 1) and net.kept is None
    assert all(W.dtype == np.float64 for W, _ in net.params())


def test_a_rule_that_raises_after_the_trace_is_its_own_failure(tmp_path):
    root = submission(tmp_path, "pass")
    optim = root / "cs231n" / "optim.py"
    optim.write_text(optim.read_text() + f'''

def late(w, dw, config=None):
    SEEN.append(list(dw.shape))
    if len(SEEN) > 4 * {TRACED_STEPS} + 1:
        raise ValueError("step too late")
    return w - 1e-2 * dw, config
''')
    with pytest.raises(StudentException) as info:
        steps(root, TRACED_STEPS + 2, rule="late")
    assert "cs231n.optim.late() raised ValueError: step too late" in info.value.message


def test_a_loss_that_edits_its_params_in_place_keeps_every_step_here(tmp_path):
    """A kept step would hand the loss the worker's own arrays, where every step sends copies:
    a loss that edits them is seen in the traced steps, and the steps stay as they were."""
    root = submission(tmp_path, "pass")
    fc_net = root / "cs231n" / "classifiers" / "fc_net.py"
    fc_net.write_text(fc_net.read_text() + '''

_Net = FullyConnectedNet


class FullyConnectedNet(_Net):
    def loss(self, X, y=None):
        out = super().loss(X, y)
        self.params["b1"] *= 0.5  # an edit of the params it was given
        return out
''')
    kept, trips = steps(root, TRACED_STEPS + 3)
    direct, _ = steps(root, TRACED_STEPS + 3, keep=False)
    assert trips[1:] == [2] * (TRACED_STEPS + 2) and kept.kept is None
    assert kept.losses == direct.losses
