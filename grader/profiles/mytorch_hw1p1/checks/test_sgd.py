"""MyTorch SGD(model, lr, momentum) walking model.layers (objects with W, b, dLdW, dLdb).

The layers are plain objects the grader fills in the worker (not the student's Linear), so
an SGD check never depends on the Linear checks. Momentum: v = mu v + dLdW, W -= lr v,
velocities from 0, carried across steps.

The course's SGD test is weaker than it looks: one layer whose dLdW and dLdb hold the same
value (so a bias velocity fed from dLdW passes through broadcasting), and only the momentum
run is scored (so plain SGD that sets W = lr * dLdW scores 10/10). Those bugs are charged
here and the report says the course's tests miss them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, course_misses, diagnosis, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS
from grader.profiles.mytorch_hw1p1.adapters import student_array, with_either_layout
from grader.profiles.mytorch_hw1p1.checking import course_array
from grader.sandbox import StudentException, StudentImportError

PLAIN_MISSED = ("the course's autograder computes its plain-SGD test but scores only the momentum "
                "one, on a model with a single layer")
ONE_LAYER_MISSED = ("the course's SGD test walks a model of one Linear layer, so an SGD that fails "
                    "on two or more passes it")
MOMENTUM_MISSED = ("the course's momentum test uses one layer whose dLdW and dLdb hold the same "
                   "value, so a bias velocity fed from dLdW still passes through broadcasting")


@st.composite
def sgd_cases(draw: st.DrawFn) -> tuple[R.Params, list[R.Params], float]:
    """Two layers' canonical (W, b), three steps of gradients, a learning rate."""
    sizes = [draw(st.integers(2, 6)) for _ in range(3)]
    rng = S.generator(draw(S.SEEDS))
    params = [(rng.uniform(-1, 1, (a, b)), rng.uniform(-1, 1, b)) for a, b in zip(sizes, sizes[1:])]
    grads = [[(rng.uniform(-1, 1, W.shape), rng.uniform(-1, 1, b.shape)) for W, b in params]
             for _ in range(3)]
    lr = draw(st.sampled_from([0.1, 0.05, 0.3]))
    return params, grads, lr


def run_steps(mytorch, params: R.Params, grads: list[R.Params], lr: float, momentum: float
              ) -> list[R.Params]:
    """The student's canonical (W, b) per layer after each step, the model's layers laid out
    as the handout's MLPs have them or, failing that, as the course's test has them."""
    try:
        return with_either_layout(lambda interleaved: steps_with_layout(
            mytorch, params, grads, lr, momentum, interleaved))
    except StudentException as exc:
        if isinstance(exc, StudentImportError) or exc.diagnosis != "crash":
            raise
        # Said as the model it crashed on, so the report can add what the course's test misses.
        hint = (f"SGD raised {exc.exc_type} ({exc.message}) on a model with {len(params)} Linear "
                "layers, laid out as the handout's MLPs (Linear, ReLU, ...) and as Linear layers "
                "alone: loop over the layers that have W, one velocity per such layer")
        raise CheckFailure(diagnosis("crash", hint), output=exc.output,
                           course_misses=ONE_LAYER_MISSED) from None


def steps_with_layout(mytorch, params: R.Params, grads: list[R.Params], lr: float, momentum: float,
                      interleaved: bool) -> list[R.Params]:
    layers = mytorch.sgd_layers(params)
    kwargs = {"lr": lr} if momentum == 0 else {"lr": lr, "momentum": momentum}
    optimizer = mytorch.sgd(layers, interleaved=interleaved, **kwargs)
    history = []
    for step in grads:
        for layer, (dW, db) in zip(layers, step):
            layer.set("dLdW", np.ascontiguousarray(dW.T))
            layer.set("dLdb", db.reshape(-1, 1).copy())
        # The step and every read after it in one round trip, each failing as it alone would.
        plan = optimizer.plan()
        stepped = plan.method(optimizer, "step")
        reads = plan.gets(layers, "W", "b")
        plan.run(lazy=True)
        _ = stepped.value
        after = []
        for (read_W, read_b), (W, b) in zip(reads, params):
            Wm = student_array(read_W.value, W.T.shape, what="layer.W after SGD.step")
            raw_b = read_b.value
            bm = course_array(raw_b, (b.size, 1), what="layer.b after SGD.step",
                              extra=lambda raw=raw_b, W=W: bias_from_weights(raw, W.T.shape))[0]
            after.append((Wm.T.copy(), bm.reshape(-1).copy()))
        history.append(after)
    return history


def bias_from_weights(raw: object, weight_shape: tuple[int, ...]):
    """b taking W's shape after a step: b -= lr * (something shaped like dLdW) broadcast it."""
    if np.asarray(raw).shape == tuple(weight_shape) and weight_shape[1] != 1:
        return diagnosis("momentum-state", f"layer.b takes W's shape {tuple(weight_shape)} after "
                         "SGD.step: the bias is moved by a W-shaped array (its velocity fed from "
                         "dLdW?); v_b = mu * v_b + dLdb, b -= lr * v_b")
    return None


def flat(params: R.Params) -> list[np.ndarray]:
    return [p for pair in params for p in pair]


@title("SGD: a step moves W by -lr * dLdW")
@tags("sgd")
@course_misses(PLAIN_MISSED)
@S.share(0.3)
@given(case=sgd_cases())
def test_step(mytorch, case):
    """momentum 0: W -= lr * dLdW and b -= lr * dLdb for every layer, every step."""
    params, grads, lr = case
    theirs = run_steps(mytorch, params, grads, lr, 0.0)
    before = flat(params)
    for step, after in zip(grads, theirs):
        for name, b, a, g in zip(("W", "b") * len(params), before, flat(after), flat(step)):
            found = D.sgd_signature(b, a, g, lr, what=f"a layer's {name}")
            if found is not None:
                raise CheckFailure(found)
        before = flat(after)


@title("SGD: momentum keeps a velocity across steps")
@tags("sgd", "momentum")
@course_misses(MOMENTUM_MISSED)
@S.share(0.3)
@given(case=sgd_cases(), momentum=st.sampled_from([0.9, 0.5]))
def test_momentum(mytorch, case, momentum):
    """v = mu v + dLdW, W -= lr v (velocities start at 0 and persist across steps)."""
    params, grads, lr = case
    theirs = run_steps(mytorch, params, grads, lr, momentum)
    expected = R.sgd_steps(flat(params), [flat(g) for g in grads], lr, momentum)
    history = [flat(params)] + [flat(a) for a in theirs]
    for k, (want, got) in enumerate(zip(expected, theirs)):
        if all(D.matches(a, e, rtol=1e-8) for a, e in zip(flat(got), want)):
            continue
        for i in range(len(want)):
            steps = [history[j + 1][i] - history[j][i] for j in range(len(grads))]
            found = MS.momentum_signature(lr, momentum, [flat(g)[i] for g in grads], steps)
            if found is not None:
                raise CheckFailure(found)
        right = [D.matches(a, e, rtol=1e-8) for a, e in zip(flat(got), want)]
        wrong = right.index(False) if not all(right) else 0
        # A later layer that moved, wrongly (one left unchanged is optimizer-skips-parameters).
        if right[0] and right[1] and wrong and not D.matches(flat(got)[wrong], history[k][wrong]):
            # The course's one-layer test cannot see this (rkakadia9855/mytorch, 2.0.x).
            fail("momentum-state", f"after step {k + 1} of SGD(lr={lr:g}, momentum={momentum:g}) "
                 f"the first layer is right but layer {wrong // 2} is not: each layer "
                 "keeps its own velocities (v_W[i], v_b[i]), updated from its own dLdW and dLdb")
        fail("optimizer-update", f"after step {k + 1} of SGD(lr={lr:g}, momentum={momentum:g}) the "
             "parameters differ from v = mu * v + dLdW, W -= lr * v (velocities start at 0)")


@title("SGD: without momentum, no velocity is kept")
@tags("sgd", "momentum")
def test_momentum_zero_is_plain(mytorch):
    """SGD(model, lr) without momentum keeps no velocity: two steps with the same gradient move
    W by the same amount."""
    rng = np.random.default_rng(7)
    params = [(rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 2))]
    g = [(rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 2))]
    theirs = run_steps(mytorch, params, [g, g], 0.1, 0.0)
    first, second = theirs[0][0][0] - params[0][0], theirs[1][0][0] - theirs[0][0][0]
    if not D.matches(second, first):
        fail("optimizer-update", "SGD(model, lr) without momentum changes its step between two "
             "identical gradients: with momentum 0 the update is W -= lr * dLdW only")
