"""Plans: many calls in one request, a reply per call, each judged as if made alone."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import RemoteObject, StudentException, StudentTimeout, WorkerDied
from grader.sandbox.calls import MAX_PLAN_STEPS, WHOLE
from grader.sandbox.errors import CallBlocked
from grader.sandbox.plan import with_attributes

from .conftest import FAST

CHATTY = '''
import os, sys, time
import numpy as np

class Counter:
    def __init__(self):
        self.n = 0

    def step(self, x):
        self.n += 1
        print(f"step {self.n} starts")
        os.write(1, f"raw {self.n}\\n".encode())  # below Python's streams
        if x == "fail":
            raise ValueError("asked to fail at " + str(self.n))
        if x == "hang":
            while True:
                pass
        if x == "die":
            os._exit(3)
        if x == "flood":
            sys.stdout.write("y" * 200000)
        print(f"step {self.n} ends", file=sys.stderr)
        return self.n

    def scale(self, a):
        a *= 2  # changes the caller's array
        return a.sum()

    def loss(self, x):
        self.n += 1
        return float(x) * self.n, {"grad": np.full(4, float(self.n))}


class Guarded:
    """A counter whose `mode` setter prints, fails or hangs as asked."""

    def __init__(self):
        self.n = 0
        self._mode = None

    @property
    def mode(self):
        return self._mode

    @mode.setter
    def mode(self, value):
        print(f"mode {value}")
        if value == "fail":
            raise ValueError("no such mode")
        if value == "hang":
            while True:
                pass
        self._mode = value

    def step(self):
        self.n += 1
        return self.n
'''


def sandbox_with(sandbox, folder, module: str, source: str):
    """A sandbox over `folder` holding one module, `module`.py, with `source`."""
    (folder / f"{module}.py").write_text(source)
    return sandbox(folder)


@pytest.fixture
def chatty(sandbox, tmp_path):
    return sandbox_with(sandbox, tmp_path, "chatty", CHATTY)


def test_a_plan_is_one_round_trip_with_each_calls_value(chatty):
    c = chatty.new("chatty", "Counter")
    seq = chatty._seq
    assert c.call_each("step", [(1,), (2,), (3,)]) == [1, 2, 3]
    assert chatty._seq == seq + 1
    assert chatty.ledger.records["Counter.step()"].calls == 3


def test_call_each_keeps_the_parts_it_is_told_to_keep(chatty):
    """A numerical gradient reads the losses alone: the grads stay in the worker, as handles."""
    c = chatty.new("chatty", "Counter")
    seq = chatty._seq
    values = c.call_each("loss", [(1.0,), (2.0,)], keep=(1,), sets=[{"n": 10}, {"n": 20}])
    assert chatty._seq == seq + 1
    assert [value[0] for value in values] == [11.0, 42.0]
    assert all(isinstance(value[1], RemoteObject) for value in values)
    assert values[1][1].call("get", "grad").tolist() == [21.0] * 4
    assert c.call_each("loss", [(1.0,)])[0][1]["grad"].tolist() == [22.0] * 4  # no keep: data


def test_each_calls_output_is_its_own(chatty):
    """The worker runs ahead while the grader reads; the marker keeps the output apart."""
    c = chatty.new("chatty", "Counter")
    outputs = []
    for _ in range(20):
        plan = chatty.plan()
        plan.method(c, "step", 0)
        plan.method(c, "step", 0)
        plan.run()
        outputs.append(chatty.last_output)
    # (Python's buffered stdout reaches the pipe after os.write's line, as in a call alone.)
    lines = lambda text: sorted(text.splitlines())  # noqa: E731
    assert all(lines(out) == [f"raw {n}", f"step {n} ends", f"step {n} starts"]
               for n, out in zip(range(2, 41, 2), outputs))
    with pytest.raises(StudentException) as info:
        c.call_each("step", [(0,), ("fail",), (0,)])
    assert lines(info.value.output) == ["raw 42", "step 42 starts"]
    assert c.get("n") == 42  # the call after the failing one never ran


def test_a_failure_in_a_plan_is_the_failure_of_the_call_alone(chatty):
    c = chatty.new("chatty", "Counter")
    with pytest.raises(StudentException) as in_plan:
        c.call_each("step", [(0,), ("fail",), (0,)])
    c.set("n", 1)
    with pytest.raises(StudentException) as alone:
        c.call("step", "fail")
    for attribute in ("message", "diagnosis", "exc_type", "frames", "output"):
        assert getattr(in_plan.value, attribute) == getattr(alone.value, attribute), attribute


def test_a_chain_of_calls_is_one_round_trip_and_stops_at_its_first_failure(chatty):
    c = chatty.new("chatty", "Counter")
    seq = chatty._seq
    assert c.call_chain(("step", (0,)), ("scale", (np.ones(2),))) == [1, 4.0]
    assert chatty._seq == seq + 1
    with pytest.raises(StudentException) as info:
        c.call_chain(("step", ("fail",)), ("step", (0,)))
    assert "asked to fail at 2" in info.value.message
    assert c.get("n") == 2  # the step after the failure never ran


def test_a_hang_in_a_plan_is_paid_once_and_stops_the_plan(chatty):
    c = chatty.new("chatty", "Counter")
    with pytest.raises(StudentTimeout) as info:
        c.call_each("step", [(0,), ("hang",), (0,)], timeout_s=None)
    assert "Counter.step() did not return within" in info.value.message
    assert "chatty.py line" in info.value.message  # where it hung
    assert chatty.ledger.blocked("Counter.step()") is not None
    fresh = chatty.new("chatty", "Counter")
    with pytest.raises(CallBlocked):
        fresh.call_each("step", [(0,), (0,)])


def test_a_death_in_a_plan_is_charged_to_its_call(chatty):
    c = chatty.new("chatty", "Counter")
    with pytest.raises(WorkerDied) as info:
        c.call_each("step", [(0,), ("die",), (0,)])
    assert "Counter.step()" in info.value.message and info.value.exit_code == 3


def test_a_flood_stays_with_its_call(chatty):
    c = chatty.new("chatty", "Counter")
    c.call_each("step", [("flood",), (0,)])
    assert sorted(chatty.last_output.splitlines()) == ["raw 2", "step 2 ends", "step 2 starts"]


def test_steps_build_on_an_earlier_new_and_set(chatty):
    plan = chatty.plan()
    c = plan.new("chatty", "Counter")
    plan.set(c, "n", 10)
    first = plan.method(c, "step", 0)
    n = plan.get(c, "n")
    missing = plan.get(c, "absent", "no")
    plan.run()
    assert (first.value, n.value, missing.value) == (11, 11, "no")
    assert c.value.call("step", 0) == 12  # a RemoteObject of the worker's object


def test_input_mutation_is_seen_per_call(chatty):
    c = chatty.new("chatty", "Counter")
    a = np.ones(3)
    plan = chatty.plan()
    plan.method(c, "step", 0)
    plan.method(c, "scale", a)
    plan.run()
    assert chatty.last_mutated == (0,)
    assert chatty.locate_mutation()["code"] == "a *= 2  # changes the caller's array"


def test_unwatched_calls_skip_the_watch_and_watching_resumes_after(chatty):
    c = chatty.new("chatty", "Counter")
    with chatty.unwatched():
        assert c.call("scale", np.ones(3)) == 6.0  # the call and its value as ever
        assert chatty.last_mutated == ()
        plan = chatty.plan()
        plan.method(c, "scale", np.ones(2))
        plan.run()
        assert chatty.last_mutated == ()
    assert c.call("scale", np.ones(3)) == 6.0
    assert chatty.last_mutated == (0,)


def test_a_data_set_kept_in_the_worker_gives_a_later_step_its_rows(chatty):
    data = np.arange(12.0).reshape(6, 2)
    kept = chatty.keep(data)
    c = chatty.new("chatty", "Counter")
    plan = chatty.plan()
    rows = plan.method_keep(kept, "take", np.array([4, 1]), axis=0, keep=WHOLE)
    total = plan.method(c, "scale", rows)  # doubles its argument in place
    plan.run()
    assert isinstance(kept, RemoteObject) and isinstance(rows.value, RemoteObject)  # neither crossed
    assert total.value == 2 * data[[4, 1]].sum()
    assert np.array_equal(kept.call("copy"), data)  # the rows were a copy: the kept set is as sent


def test_the_objects_with_some_attributes_are_found_in_a_round_trip_per_name(chatty):
    counters = chatty.call_each("chatty", "Counter", [(), (), ()])
    counters[1].set("W", np.ones(2))
    counters[2].set("W", np.ones(2))
    counters[2].set("b", 0.0)
    seq = chatty._seq
    assert with_attributes(counters, "W", "b") == [counters[2]]
    assert chatty._seq == seq + 2  # one plan of hasattr per name, whatever the number of objects
    assert with_attributes(counters, "absent", "W") == [] and chatty._seq == seq + 3  # none left: no b


def test_a_plan_imports_its_module_first_and_refuses_a_blocked_call(chatty):
    values = chatty.call_each("chatty", "Counter", [(), ()])
    assert [v.type_name for v in values] == ["Counter", "Counter"]
    with pytest.raises(StudentTimeout):
        values[0].call("step", "hang")
    seq = chatty._seq
    with pytest.raises(CallBlocked):
        chatty.new("chatty", "Counter").call_each("step", [(0,)])
    # The new worker imports chatty.py, is told the blocks and builds a Counter: step never runs.
    assert chatty._seq == seq + 3


def test_a_mutation_on_an_object_built_in_the_same_plan_is_located(chatty):
    plan = chatty.plan()
    c = plan.new("chatty", "Counter")
    plan.method(c, "scale", np.ones(2))
    plan.run()
    assert chatty.last_mutated == (0,)
    assert chatty.locate_mutation()["line"] > 0


def test_sets_before_each_call(chatty):
    c = chatty.new("chatty", "Counter")
    assert c.call_each("step", [(0,), (0,)], sets=[{"n": 5}, {"n": 1}]) == [6, 2]
    assert chatty.ledger.records["setting Counter.n"].calls == 2


def test_a_lazy_plan_raises_the_failure_where_its_step_is_read(chatty):
    c = chatty.new("chatty", "Counter")
    plan = chatty.plan()
    first = plan.method(c, "step", 0)
    failing = plan.method(c, "step", "fail")
    after = plan.method(c, "step", 0)
    plan.run(lazy=True)
    assert first.value == 1
    with pytest.raises(StudentException, match="asked to fail at 2") as info:
        failing.value
    with pytest.raises(StudentException) as again:
        after.value
    assert again.value is info.value
    assert c.get("n") == 2


def test_a_step_on_a_new_object_is_named_by_the_class_the_worker_built(sandbox, tmp_path):
    (tmp_path / "alias.py").write_text(
        "class Layer:\n    def forward(self, x):\n        raise ValueError('no')\n\nLinear = Layer\n")
    sb = sandbox(tmp_path)
    plan = sb.plan()
    layer = plan.new("alias", "Linear")
    plan.method(layer, "forward", 1)
    with pytest.raises(StudentException) as info:
        plan.run()
    assert info.value.message.startswith("Layer.forward() raised ValueError: no")
    assert sb.ledger.records["Layer.forward()"].target == {"type": "Layer", "attr": "forward"}


def test_a_call_over_its_budget_stops_the_plan_and_the_worker_stays_in_step(sandbox, tmp_path):
    (tmp_path / "slow.py").write_text(
        "import time\n\nclass Slow:\n    def nap(self):\n        time.sleep(0.2)\n        return 1\n"
        "    def quick(self):\n        return 2\n")
    sb = sandbox(tmp_path, limits=FAST.replace(function_budget_s=0.1))
    slow = sb.new("slow", "Slow")
    with pytest.raises(CallBlocked) as info:
        slow.call_each("nap", [(), (), ()])
    assert info.value.failure.diagnosis == "too-slow"
    assert sb.ledger.records["Slow.nap()"].calls == 1  # the later ones are not charged
    assert slow.call("quick") == 2  # the worker's replies to the abandoned calls were read


PASSING = '''
import numpy as np


class Layer:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = x * 2
        return self.out  # the layer's own array: a caller that edits it must get a copy

    def relu(self, x):
        x[x < 0] = 0  # edits its argument in place
        return x

    def me(self):
        return self
'''


@pytest.fixture
def layers(sandbox, tmp_path):
    return sandbox_with(sandbox, tmp_path, "layers", PASSING)


def test_a_step_passed_as_an_argument_is_its_value_as_the_grader_would_pass_it(layers):
    layer = layers.new("layers", "Layer")
    seq = layers._seq
    plan = layers.plan()
    out = plan.method(layer, "forward", np.array([-1.0, 2.0]))
    relu = plan.method(layer, "relu", out)
    kept = plan.get(layer, "out")
    again = plan.method(layer, "forward", relu)
    plan.run()
    assert layers._seq == seq + 1  # one round trip
    np.testing.assert_array_equal(relu.value, [0.0, 4.0])
    # relu edited a copy, as it would a value the grader sent: the layer's array is untouched.
    np.testing.assert_array_equal(kept.value, [-2.0, 4.0])
    np.testing.assert_array_equal(again.value, [0.0, 8.0])
    assert layers.last_mutated == (0,)  # relu's edit of its argument is seen, as for any argument
    assert layers.ledger.records["Layer.forward()"].calls == 2


def test_a_step_passed_on_from_an_earlier_request_is_the_value_received(layers):
    """A plan split in two (the first call imports the module first) passes the value itself."""
    plan = layers.plan()
    made = plan.new("layers", "Layer")
    out = plan.method(made, "forward", np.ones(2))
    twice = plan.method(made, "forward", out)
    plan.run()
    np.testing.assert_array_equal(twice.value, [4.0, 4.0])


def test_a_failure_before_a_passed_value_stops_the_plan_there(layers):
    layer = layers.new("layers", "Layer")
    plan = layers.plan()
    out = plan.method(layer, "forward", "text")  # str * 2 is fine: "texttext"
    bad = plan.method(layer, "relu", out)        # "texttext" < 0: TypeError
    never = plan.method(layer, "forward", bad)
    plan.run(lazy=True)
    assert out.value == "texttext"
    with pytest.raises(StudentException, match="TypeError"):
        bad.value
    with pytest.raises(StudentException, match="TypeError"):
        never.value
    assert layers.ledger.records["Layer.forward()"].calls == 1


def test_only_an_earlier_step_of_the_same_plan_may_be_passed(layers):
    layer = layers.new("layers", "Layer")
    other = layers.plan().method(layer, "me")
    with pytest.raises(TypeError, match="earlier step of the same plan"):
        layers.plan().method(layer, "forward", other)


KEEPING = '''
import numpy as np

class Net:
    def loss(self, x):
        grads = {"W": x * 2, "b": x.sum(keepdims=True)}
        self.seen = grads  # the worker's own grads object, to compare with what a rule got
        return float(x.sum()), grads

    def same(self, w):
        return w is self.seen["W"]

def step(w, dw):
    return w - dw, {"t": 1}
'''


@pytest.fixture
def keeping(sandbox, tmp_path):
    return sandbox_with(sandbox, tmp_path, "keeping", KEEPING)


def test_a_kept_part_is_passed_on_in_the_worker_without_crossing(keeping):
    net = keeping.new("keeping", "Net")
    seq = keeping._seq
    plan = keeping.plan()
    out = plan.method_keep(net, "loss", np.array([1.0, 2.0]), keep=(1,))
    nxt = plan.call_keep("keeping", "step", np.array([10.0, 10.0]), out[1]["W"], keep=(0, 1))
    plan.run()
    assert keeping._seq == seq + 1  # one round trip
    loss, grads = out.value
    assert loss == 3.0 and hasattr(grads, "handle_id")  # the grads stayed in the worker
    w, config = nxt.value
    assert hasattr(w, "handle_id") and hasattr(config, "handle_id")
    np.testing.assert_array_equal(keeping.mapping(w=w).call("copy")["w"], [8.0, 6.0])
    # The rule got a copy of the gradient, as a value the grader passed on would be.
    assert net.call("same", grads) is False
    assert keeping.ledger.records["Net.loss()"].calls == 1


def test_a_missing_part_fails_the_step_that_takes_it(keeping):
    net = keeping.new("keeping", "Net")
    plan = keeping.plan()
    out = plan.method_keep(net, "loss", np.array([1.0, 2.0]), keep=(1,))
    bad = plan.call_keep("keeping", "step", np.zeros(2), out[1]["W9"], keep=(0, 1))
    plan.run(lazy=True)
    assert out.value[0] == 3.0
    with pytest.raises(StudentException, match="KeyError"):
        bad.value


def test_a_part_of_a_value_received_earlier_is_indexed_here(keeping):
    """Split over two requests (the first call imports the module), a part of a value the
    grader received is taken from it; through a part kept in the worker it cannot be."""
    plan = keeping.plan()
    net = plan.new("keeping", "Net")
    out = plan.method(net, "loss", np.array([1.0, 2.0]))
    nxt = plan.call("keeping", "step", np.zeros(2), out[1]["W"])
    plan.run()
    np.testing.assert_array_equal(nxt.value[0], [-2.0, -4.0])
    # A plan longer than one request's steps is sent in parts too: the kept grads are in the
    # first part, the call that takes one of them in the second.
    made = keeping.new("keeping", "Net")
    plan = keeping.plan()
    for _ in range(MAX_PLAN_STEPS - 1):
        plan.get(made, "loss")
    out = plan.method_keep(made, "loss", np.array([1.0, 2.0]), keep=(1,))
    plan.call("keeping", "step", np.zeros(2), out[1]["W"])
    with pytest.raises(TypeError, match="kept in the worker"):
        plan.run()


def replies_read(sb, run):
    """How many replies the grader reads from `sb`'s worker while `run()` runs."""
    worker, count = sb._worker, [0]
    exchange = worker.exchange

    def counted(*args, **kwargs):
        count[0] += 1
        return exchange(*args, **kwargs)

    worker.exchange = counted
    try:
        run()
    finally:
        del worker.exchange
    return count[0]


def test_a_plans_sets_are_answered_by_the_next_calls_reply(chatty):
    g = chatty.new("chatty", "Guarded")
    plan = chatty.plan()
    steps = [(plan.set(g, "mode", mode), plan.method(g, "step")) for mode in ("a", "b", "c")]
    last = plan.set(g, "mode", "d")  # a plan's last set is answered itself
    assert replies_read(chatty, plan.run) == 4
    assert [(s.value, c.value) for s, c in steps] == [(None, 1), (None, 2), (None, 3)] and last.value is None
    assert chatty.ledger.records["setting Guarded.mode"].calls == 4
    assert g.get("mode") == "d"


def test_a_quiet_sets_output_goes_with_the_next_call(chatty):
    g = chatty.new("chatty", "Guarded")
    plan = chatty.plan()
    plan.method(g, "step")
    plan.set(g, "mode", "loud")
    plan.method(g, "step")
    plan.run()
    assert chatty.last_output.splitlines() == ["mode loud"]


def test_a_failing_set_in_a_plan_is_its_own_failure_and_stops_the_plan(chatty):
    g = chatty.new("chatty", "Guarded")
    plan = chatty.plan()
    first = plan.method(g, "step")
    failing = plan.set(g, "mode", "fail")
    after = plan.method(g, "step")
    plan.run(lazy=True)
    assert first.value == 1
    with pytest.raises(StudentException) as info:
        failing.value
    assert info.value.message.startswith("setting Guarded.mode raised ValueError: no such mode")
    assert info.value.output.splitlines() == ["mode fail"]
    with pytest.raises(StudentException):
        after.value
    assert g.get("n") == 1  # the call after the failing set never ran
    with pytest.raises(StudentException) as alone:
        g.set("mode", "fail", timeout_s=5)
    assert alone.value.message == info.value.message


def test_a_quiet_set_that_hangs_is_charged_to_the_next_call(chatty):
    g = chatty.new("chatty", "Guarded")
    plan = chatty.plan()
    plan.set(g, "mode", "hang")
    plan.method(g, "step")
    with pytest.raises(StudentTimeout) as info:
        plan.run()
    assert "Guarded.step() did not return within" in info.value.message
    assert "chatty.py line" in info.value.message  # where it hung: in the setter
