"""CS231n optim.py: rule(w, dw, config) -> (next_w, config), defaults filled into config, state
(velocity, cache, m, v, t) carried in config across steps and in nothing else."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import strategies as S
from grader.checks.framework import fail, tags, title
from grader.profiles.cs231n_fc import reference as R
from grader.profiles.cs231n_fc.layout import MODULES, UPDATE_RULES
from grader.profiles.cs231n_fc.update_forms import accepted_starts, same_step

RULES = tuple(UPDATE_RULES)
FORMULAS = {
    "sgd": "w - learning_rate * dw",
    "sgd_momentum": "v = momentum * v - learning_rate * dw; w + v (v from 0, kept in config['velocity'])",
    "rmsprop": "cache = decay_rate * cache + (1 - decay_rate) * dw**2; "
               "w - learning_rate * dw / (sqrt(cache) + epsilon)",
    "adam": "t += 1 first; m, v moving averages; w - learning_rate * m_hat / (sqrt(v_hat) + epsilon) "
            "with m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t)",
}


@st.composite
def steps(draw: st.DrawFn) -> tuple[np.ndarray, list[np.ndarray]]:
    """w (R, C) and three gradients shaped like it."""
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    rng = S.generator(draw(S.SEEDS))
    return rng.uniform(-1, 1, shape), [rng.uniform(-1, 1, shape) for _ in range(3)]


def student_steps(cs231n, rule: str, w: np.ndarray, grads: list[np.ndarray], config: dict | None
                  ) -> list[np.ndarray]:
    """w after each step, the returned config passed back to the next step (as the Solver does)."""
    out = []
    for dw in grads:
        w, config = cs231n.pair(rule, w, dw, config, module=MODULES["optim"], what="(next_w, config)")
        w = D.require_array(w, dw.shape, what=f"{rule}'s next_w")
        if not isinstance(config, dict):
            fail("missing-api", f"{rule} must return (next_w, config) with config a dict")
        out.append(w)
    return out


def reference_steps(rule: str, w: np.ndarray, grads: list[np.ndarray], config: dict
                    ) -> list[np.ndarray]:
    config = {**UPDATE_RULES[rule], **config}
    out = []
    for dw in grads:
        w, config = R.update(rule, w, dw, config)
        out.append(w)
    return out


def follows_rule(rule: str, w: np.ndarray, grads: list[np.ndarray], config: dict,
                 theirs: list[np.ndarray]) -> bool:
    """Every step of `theirs` is the rule's, in one of the forms the course accepts."""
    for start in accepted_starts(rule, config):
        want = reference_steps(rule, w, grads, start)
        if len(theirs) == len(want) and all(
                same_step(got, exp, prev) for got, exp, prev in zip(theirs, want, [w, *want[:-1]])):
            return True
    return False


def diagnose_steps(rule: str, w: np.ndarray, grads: list[np.ndarray], config: dict,
                   theirs: list[np.ndarray]) -> None:
    """Name the first step that differs: a step that forgets the state, else the rule."""
    if follows_rule(rule, w, grads, config, theirs):
        return
    want = reference_steps(rule, w, grads, config)
    for k, (got, exp) in enumerate(zip(theirs, want)):
        if D.matches(got, exp, rtol=1e-7):
            continue
        previous = theirs[k - 1] if k else w
        fresh, _ = R.update(rule, previous, grads[k], {**UPDATE_RULES[rule], **config})
        if k and rule != "sgd" and D.matches(got, fresh, rtol=1e-7):
            fail("config-state", f"{rule} forgets its state between steps: step {k + 1} equals a "
                 "first step; keep it in the returned config (the Solver passes config back)")
        fail("optimizer-update", f"{rule}: step {k + 1} differs from {FORMULAS[rule]}",
             message=f"got {D.fmt(got)}\nexpected {D.fmt(exp)}")


@title("{rule}: three steps follow the update rule")
@tags("update-rules")
@pytest.mark.parametrize("rule", RULES)
@S.share(0.2)
@given(case=steps(), lr=st.sampled_from([1e-1, 3e-2]))
def test_rule(cs231n, rule, case, lr):
    """Three steps with config = {'learning_rate': lr}; every other key from the defaults."""
    w, grads = case
    theirs = student_steps(cs231n, rule, w, grads, {"learning_rate": lr})
    diagnose_steps(rule, w, grads, {"learning_rate": lr}, theirs)


@title("{rule}: config=None uses the default settings")
@tags("update-rules")
@pytest.mark.parametrize("rule", RULES)
def test_defaults(cs231n, rule):
    """config=None: the defaults of profiles.md (sgd 1e-2, momentum 0.9, decay 0.99, adam 1e-3...)."""
    rng = np.random.default_rng(3)
    w, grads = rng.uniform(-1, 1, (3, 2)), [rng.uniform(-1, 1, (3, 2)) for _ in range(2)]
    theirs = student_steps(cs231n, rule, w, grads, None)
    if not follows_rule(rule, w, grads, {}, theirs):
        fail("optimizer-update", f"{rule} called with config=None must fill in the course's "
             f"defaults {UPDATE_RULES[rule]}: the steps differ")


@title("{rule}: each parameter keeps its state in config")
@tags("update-rules")
@pytest.mark.parametrize("rule", RULES[1:])
def test_state_lives_in_config(cs231n, rule):
    """Two parameters updated in turn (as the Solver does for W1, W2): each one's state is its
    own config's, never a global shared between them."""
    rng = np.random.default_rng(5)
    a, b = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (4,))
    ga, gb = [rng.uniform(-1, 1, a.shape) for _ in range(3)], [rng.uniform(-1, 1, b.shape) for _ in range(3)]
    ca, cb = {"learning_rate": 0.05}, {"learning_rate": 0.05}
    wa, wb, steps_a, steps_b = a, b, [], []
    for k in range(3):
        wa, ca = cs231n.pair(rule, wa, ga[k], ca, module=MODULES["optim"], what="(next_w, config)")
        wb, cb = cs231n.pair(rule, wb, gb[k], cb, module=MODULES["optim"], what="(next_w, config)")
        steps_a.append(np.asarray(wa, dtype=np.float64))
        steps_b.append(np.asarray(wb, dtype=np.float64))
    if not (follows_rule(rule, a, ga, {"learning_rate": 0.05}, steps_a)
            and follows_rule(rule, b, gb, {"learning_rate": 0.05}, steps_b)):
        fail("config-state", f"{rule}: two parameters updated in turn interfere, or a step "
             "loses the state: keep velocity/cache/m/v/t in each parameter's config, not in a "
             "global or module variable")
