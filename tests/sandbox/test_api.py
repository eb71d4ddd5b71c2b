"""The Sandbox API on a well-behaved submission."""

from __future__ import annotations


import numpy as np
import pytest

from grader.sandbox import (
    Limits,
    RemoteObject,
    Rng,
    Sandbox,
    SandboxError,
    StaleHandle,
    StudentException,
    StudentFailure,
    StudentImportError,
    StudentTimeout,
)
from grader.sandbox.errors import CallBlocked
from grader.sandbox.spy import fingerprint

from .conftest import GOOD, attack


def test_objects_methods_and_attributes(sandbox):
    sb = sandbox(GOOD)
    sb.import_module("layers")
    lin = sb.new("layers", "Linear", 3, 5, rng=Rng(0))
    assert isinstance(lin, RemoteObject) and lin.type_name == "Linear"
    W = lin.get("W")
    assert type(W) is np.ndarray and W.shape == (3, 5) and W.dtype == np.float64
    x = np.arange(6.0).reshape(2, 3)
    y = lin.call("forward", x)
    assert np.allclose(y, x @ W)
    assert lin.has("W") and not lin.has("dW")
    lin.call("backward", np.ones((2, 5)))
    assert lin.get("dW").shape == (3, 5)
    lin.set("W", np.zeros((3, 5)))
    assert not lin.call("forward", x).any()
    # Same seed, same weights: the Rng marker builds default_rng(seed) in the worker.
    again = sb.new("layers", "Linear", 3, 5, rng=Rng(0))
    assert np.array_equal(again.get("W"), W)


def test_handles_keep_identity_and_travel_back(sandbox):
    sb = sandbox(GOOD)
    a, b, d = sb.call("layers", "pair")
    assert a == b and d["k"] == a and hash(a) == hash(b)
    mlp = sb.new("network", "MLP", [4, 8, 3], rng=Rng(1))
    layers = mlp.get("layers")
    assert [layer.type_name for layer in layers] == ["Linear", "ReLU", "Linear"]
    assert mlp.get("layers")[0] == layers[0]
    opt = sb.new("optim", "SGD", layers, lr=0.5)
    assert opt.get("layers") == layers
    before = layers[0].get("W")
    x = np.ones((2, 4))
    mlp.call("forward", x)
    mlp.call("backward", np.ones((2, 3)))
    opt.call("step")
    assert not np.array_equal(layers[0].get("W"), before)


def test_module_functions_and_scalars(sandbox):
    sb = sandbox(GOOD)
    p = sb.call("losses", "softmax", np.array([[1000.0, 0.0], [0.0, 0.0]]))
    assert np.allclose(p, [[1.0, 0.0], [0.5, 0.5]])
    f, i, b = sb.call("layers", "scalar")
    assert type(f) is np.float64 and type(i) is np.int32 and type(b) is np.bool_
    value = {"a": [1, 2.5, None, "s", (1, 2)], "nan": float("nan")}
    out = sb.call("layers", "echo", value)
    assert out["a"] == [1, 2.5, None, "s", [1, 2]] and np.isnan(out["nan"])


def test_missing_api_and_not_implemented(sandbox):
    sb = sandbox(GOOD)
    with pytest.raises(StudentException) as info:
        sb.new("layers", "Tanh")
    assert info.value.diagnosis == "missing-api" and "Tanh" in info.value.message
    sig = sb.new("layers", "Sigmoid")
    with pytest.raises(StudentException) as info:
        sig.call("forward", np.ones(2))
    assert info.value.diagnosis == "missing-api" and info.value.exc_type == "NotImplementedError"
    assert "layers.py" in info.value.traceback
    lin = sb.new("layers", "Linear", 2, 2)
    with pytest.raises(StudentException) as info:
        lin.get("dW")
    assert info.value.diagnosis == "missing-api"
    with pytest.raises(StudentException) as info:
        lin.call("nope")
    assert info.value.diagnosis == "missing-api"
    with pytest.raises(StudentException) as info:
        lin.call("backward", np.ones((2, 2)))  # backward before forward: the student's AttributeError
    assert info.value.diagnosis == "crash" and info.value.exc_type == "AttributeError"
    with pytest.raises(StudentImportError) as info:
        sb.import_module("nonexistent")
    assert info.value.diagnosis == "missing-api"


def test_module_level_lookups(sandbox):
    sb = sandbox(GOOD)
    assert sb.has("layers", "Linear") and sb.is_callable("layers", "Linear")
    assert not sb.has("layers", "Tanh") and not sb.is_callable("layers", "Tanh")
    assert sb.has("layers", "np") and not sb.is_callable("layers", "np")
    with pytest.raises(StudentImportError):
        sb.has("nonexistent", "x")


def test_student_exception_details(sandbox):
    sb = sandbox(GOOD)
    lin = sb.new("layers", "Linear", 3, 5)
    with pytest.raises(StudentException) as info:
        lin.call("forward", np.ones((2, 4)))
    err = info.value
    assert err.diagnosis == "crash" and err.exc_type == "ValueError"
    assert "Linear.forward()" in err.message
    assert 'File "layers.py"' in err.traceback and "grader" not in err.traceback
    assert isinstance(err, StudentFailure)


def test_timeouts_per_call_and_by_context(sandbox):
    sb = sandbox(attack("signals_loop"))
    lin = sb.new("layers", "Linear")
    with sb.limits(call_timeout_s=0.3) as limits:
        assert limits.call_timeout_s == 0.3
        with pytest.raises(StudentTimeout) as hung:
            lin.call("forward", 1)
        assert "within 0.3 s" in hung.value.message  # the context's limit, not the default 3 s
    assert sb.current_limits.call_timeout_s == 3.0
    with pytest.raises(ValueError):
        with sb.limits(memory_mb=100):
            pass
    # The hung method is refused at once from now on; the class itself still works.
    with pytest.raises(CallBlocked) as refused:  # a second run would hang: StudentTimeout
        sb.new("layers", "Linear").call("forward", 1)
    assert refused.value.diagnosis == "timeout" and "Linear.forward()" in refused.value.message
    # The old handle died with the worker.
    with pytest.raises(StaleHandle):
        lin.get("W")
    assert sb.new("layers", "Linear").type_name == "Linear"


def test_restart_makes_handles_stale(sandbox):
    sb = sandbox(GOOD)
    lin = sb.new("layers", "Linear", 2, 2)
    sb.restart()
    assert lin.stale
    with pytest.raises(StaleHandle) as info:
        lin.get("W")
    assert info.value.diagnosis == "crash"
    assert sb.new("layers", "Linear", 2, 2).get("W").shape == (2, 2)
    assert sb.starts == 2


def test_released_handles_are_dropped_in_the_worker(sandbox):
    sb = sandbox(GOOD)
    for _ in range(50):
        sb.new("layers", "Linear", 2, 2)  # each RemoteObject is garbage at once
    keep = sb.new("layers", "Linear", 2, 2)
    sb.ping()
    assert keep.handle_id > 50
    assert keep.get("W").shape == (2, 2)


def test_captured_output(sandbox):
    sb = sandbox(attack("fake_output"))
    sb.call("layers", "forge")
    assert "score" in sb.last_output
    sb.ping()
    assert sb.last_output == ""


def test_spy_records_batches(sandbox):
    sb = sandbox(GOOD)
    mlp = sb.new("network", "MLP", [4, 6, 3], rng=Rng(0))
    mlp.spy("forward")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 4))
    y = rng.integers(0, 3, 10)
    losses = sb.call("network", "train", mlp, X, y, epochs=2, batch_size=4, lr=0.1, rng=Rng(3))
    assert len(losses) == 2
    log = mlp.spy_log("forward")
    assert [e["arg_shapes"] for e in log] == [[[4, 4]], [[4, 4]], [[2, 4]]] * 2
    fps = np.concatenate([e["fingerprint"] for e in log[:3]])
    # Every sample went through exactly once per epoch, in a shuffled order.
    assert np.allclose(np.sort(fps), np.sort(fingerprint(X)))
    assert mlp.spy_log("forward") == []
    mlp.call("forward", X[:1])
    assert len(mlp.spy_log("forward")) == 1


def test_a_module_is_an_object_whose_functions_can_be_spied_on(sandbox):
    sb = sandbox(GOOD)
    losses = sb.module("losses")
    assert losses.type_name == "module"
    losses.spy("softmax")
    z = np.arange(6.0).reshape(2, 3)
    probs = losses.call("softmax", z)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    (entry,) = losses.spy_log("softmax")
    assert entry["arg_shapes"] == [[2, 3]] and np.allclose(entry["fingerprint"], fingerprint(z))
    # Module-level calls go through the same (now watched) function.
    sb.call("losses", "softmax", z)
    assert len(losses.spy_log("softmax")) == 1


def test_many_calls_reuse_one_worker(sandbox):
    """Calls are round trips to one long-lived worker (bench/ measures their cost)."""
    sb = sandbox(GOOD)
    lin = sb.new("layers", "Linear", 3, 5)
    x = np.ones((2, 3))
    first = lin.call("forward", x)
    for _ in range(300):
        assert np.array_equal(lin.call("forward", x), first)
    assert sb.starts == 1


def test_protections_are_reported(sandbox):
    sb = sandbox(GOOD)
    for key in ("session", "rlimits", "uid", "subreaper", "no_new_privs"):
        assert key in sb.protections
    assert sb.protections["subreaper"] == "on"


def test_worker_start_failure_is_a_grader_error(tmp_path):
    with pytest.raises(SandboxError):
        with Sandbox(GOOD, limits=Limits(start_timeout_s=0.001)):
            pass


def test_closed_sandbox_refuses_calls(tmp_path):
    sb = Sandbox(GOOD, limits=Limits())
    sb.close()
    with pytest.raises(SandboxError):
        sb.ping()


def test_missing_submission_dir_is_a_student_failure(sandbox, tmp_path):
    sb = sandbox(tmp_path / "nothing")
    with pytest.raises(StudentImportError) as info:
        sb.import_module("layers")
    assert info.value.diagnosis == "missing-api"


def test_a_relative_import_is_explained(sandbox, tmp_path):
    (tmp_path / "layers.py").write_text("X = 1\n")
    (tmp_path / "network.py").write_text("from .layers import X\n")
    sb = sandbox(tmp_path)
    with pytest.raises(StudentImportError) as caught:
        sb.import_module("network")
    assert caught.value.diagnosis == "import-error"
    assert "from layers import Linear" in caught.value.message
    sb.import_module("layers")  # the other module is unaffected


SETTERS = '''
import numpy as np

class Box:
    def __init__(self):
        self.log = []

    @property
    def strict(self):
        return 0

    @strict.setter
    def strict(self, value):
        raise ValueError("strict refuses " + str(value))

    def record(self, name, value):
        self.log.append(name)

    def seen(self):
        return list(self.log)
'''


def test_set_is_deferred_to_the_next_request_and_runs_first_in_order(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    box.set("a", np.arange(3.0))
    box.set("b", 2.0)
    box.set("a", np.zeros(2))  # the later set wins, as it would have one round trip at a time
    seq = sb._seq
    assert box.get("b") == 2.0 and sb._seq == seq + 1  # three sets and the read: one round trip
    assert np.array_equal(box.get("a"), np.zeros(2))
    assert sb.ledger.records["setting Box.a"].calls == 2


def test_a_deferred_set_that_raises_is_reported_as_itself_and_stops_the_rest(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    box.set("strict", 7)
    box.set("after", 1.0)
    with pytest.raises(StudentException) as info:
        box.call("record", "x", 1)
    assert info.value.message.startswith("setting Box.strict raised ValueError: strict refuses 7")
    assert info.value.diagnosis == "crash"
    # Neither the set after it nor the call it travelled with ran; the next request is fresh.
    assert box.call("seen") == [] and not box.has("after")


def test_flush_sends_the_deferred_sets_and_raises_their_failure(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    box.set("fine", 1.0)
    sb.flush()
    seq = sb._seq
    sb.flush()  # nothing pending: no round trip
    assert sb._seq == seq
    box.set("strict", 1)
    with pytest.raises(StudentException, match="setting Box.strict raised ValueError"):
        sb.flush()
    assert box.get("fine") == 1.0


def test_a_set_with_its_own_time_limit_is_sent_at_once(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    with pytest.raises(StudentException, match="strict refuses 3"):
        box.set("strict", 3, timeout_s=5)


def test_a_set_on_an_object_of_a_replaced_worker_fails_where_it_is_made(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    box.set("x", 1.0)
    sb.restart()  # the pending set goes with the old worker's objects
    with pytest.raises(StaleHandle):
        box.set("x", 2.0)
    fresh = sb.new("box", "Box")
    assert not fresh.has("x")


def test_a_deferred_set_sends_the_value_as_it_was_when_set(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    W = np.zeros((2, 2))
    params = {"W": W, "list": [W]}
    box.set("W", W)
    box.set("params", params)
    W += 1.0  # after the set, before the request that carries it
    assert np.array_equal(box.get("W"), np.zeros((2, 2)))
    sent = box.get("params")
    assert np.array_equal(sent["W"], np.zeros((2, 2))) and np.array_equal(sent["list"][0], np.zeros((2, 2)))


def test_get_with_a_default_is_one_round_trip_and_runs_the_property_once(sandbox, tmp_path):
    (tmp_path / "box.py").write_text(SETTERS)
    sb = sandbox(tmp_path)
    box = sb.new("box", "Box")
    seq = sb._seq
    assert box.get("nothing", None) is None and box.get("log", None) == []
    assert box.get("strict", 5) == 0  # present: its value, not the default
    assert sb._seq == seq + 3
    with pytest.raises(StudentException) as info:
        box.get("nothing")
    assert info.value.diagnosis == "missing-api"
