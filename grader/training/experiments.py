"""The small training experiments on one submission, each a function of its `TrainingSession`.

Each one answers one question about the student's train() or layers on a few
hundred rows (initial weights, shuffling, epochs, lr = 0, one step, seeds, a
tiny batch, the grader's own loop); `TrainingSession` runs each at most once
and shares the outcome (grader.training.outcomes) with every check that asks.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.sandbox import StudentFailure
from grader.sandbox.errors import CallBlocked
from grader.training import calibration as cal
from grader.training.instrument import FingerprintTable, Trace, build_trace, class_sorted_subset
from grader.training.loop import LocalDriver, LoopResult, RemoteDriver, grader_loop
from grader.training.outcomes import InitResult, LoopComparison, Plan, ReproResult, StepResult, TinyResult
from grader.training.stats import accuracy, cross_entropy, cross_entropy_grad
from grader.training.steps import fit_step, flatten

if TYPE_CHECKING:
    from grader.training.session import TrainingSession

Params = cal.Params

# Sizes of the small experiments (samples x epochs), vectorised submission.
PROBE_N = 256
SORTED_PER_CLASS, SORTED_BATCH, SORTED_EPOCHS = 65, 24, 3       # 650 class-sorted rows, 28 batches/epoch
TINY_PER_CLASS, TINY_BATCH, TINY_EPOCHS = 5, 10, 30             # 50 rows, 150 updates
STEP_N = 64                                                     # one full-batch step
LR0_N, LR0_BATCH = 64, 32
REPRO_N, REPRO_BATCH = 256, 32
LOOP_N, LOOP_EVAL, LOOP_BATCH, LOOP_EPOCHS = 600, 500, 50, 3    # grader's loop: 36 steps
INIT_N = 500


def init(session: TrainingSession) -> InitResult:
    X, y = session.X(INIT_N)
    model = session.new_model(session.s(0))
    params = session.params(model)
    logits = model.call("forward", X)
    logits_ok = isinstance(logits, np.ndarray) and logits.shape == (len(y), session.sizes[-1])
    from_weights = cross_entropy(cal.ref_forward(params, X, session.activation), y)
    loss = cross_entropy(logits.astype(np.float64), y) if logits_ok else from_weights
    scales = [float(np.std(W) * math.sqrt(W.shape[0])) for W, _ in params]
    identical = [i for i, (W, _) in enumerate(params[:-1])
                 if W.shape[1] > 1 and float(np.max(np.ptp(W, axis=1))) == 0.0]
    return InitResult(loss, from_weights, scales, identical, len(params), logits_ok)


def sorted_trace(session: TrainingSession) -> tuple[Trace, np.ndarray]:
    per_class, epochs, batch = SORTED_PER_CLASS, SORTED_EPOCHS, SORTED_BATCH
    if session.plan().slow:
        per_class, epochs = 20, 2
    Xall, yall = session.X()
    idx = class_sorted_subset(yall, per_class)
    X, y = Xall[idx], yall[idx]
    timeout = session.affordable(len(y) * epochs, "the shuffling run")
    trace = watched_train(session, X, y, epochs=epochs, batch_size=batch, lr=float(session.cfg.lr),
                                seed=session.s(10), init_seed=session.s(11), timeout_s=timeout)
    return trace, y


def watched_train(session: TrainingSession, X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
                  lr: float, seed: int, init_seed: int, timeout_s: float) -> Trace:
    model = session.new_model(init_seed)
    layers = model.get("layers")
    first = next((layer for layer in (layers if isinstance(layers, list) else [])
                  if hasattr(layer, "has") and layer.has("W")), None)
    watched = [(model, "forward"), (model, "backward")]
    if first is not None:
        watched += [(first, "forward"), (first, "backward")]
    for obj, name in watched:
        obj.spy(name)
    session.train(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, timeout_s=timeout_s)
    logs = {(i // 2, name): obj.spy_log(name) for i, (obj, name) in enumerate(watched)}
    # The model's own methods, unless train() bypasses them and drives the layers itself.
    fwd, bwd = logs[(0, "forward")], logs[(0, "backward")]
    if first is not None and len(logs[(1, "backward")]) > len(bwd):
        bwd = logs[(1, "backward")]
    if first is not None and len(logs[(1, "forward")]) > len(fwd):
        fwd = logs[(1, "forward")]
    return build_trace(fwd, bwd, table=FingerprintTable(X), n=len(y), epochs=epochs,
                       batch_size=batch_size)


def epoch_counts(session: TrainingSession) -> tuple[int, int]:
    n = REPRO_N if not session.plan().slow else 64
    X, y = session.X(n)
    counts = []
    for epochs in (1, 2):
        timeout = session.affordable(n * epochs, "the epochs run")
        trace = watched_train(session, X, y, epochs=epochs, batch_size=REPRO_BATCH, lr=float(session.cfg.lr),
                                    seed=session.s(20), init_seed=session.s(21), timeout_s=timeout)
        counts.append(trace.backward_calls)
    return counts[0], counts[1]


def lr_zero(session: TrainingSession) -> tuple[bool, float]:
    X, y = session.X(LR0_N)
    timeout = session.affordable(LR0_N, "the lr=0 run")
    model = session.new_model(session.s(30))
    before = session.params(model)
    session.train(model, X, y, epochs=1, batch_size=LR0_BATCH, lr=0.0, seed=session.s(31), timeout_s=timeout)
    after = session.params(model)
    diff = flatten(after) - flatten(before)
    change = float(np.max(np.abs(diff))) if diff.size else 0.0
    if not math.isfinite(change):
        change = math.inf
    return change > 1e-12, change


def one_step(session: TrainingSession) -> StepResult:
    X, y = session.X(STEP_N)
    lr = float(session.cfg.lr) / 2.0  # not a common default, so an ignored lr shows
    timeout = session.affordable(STEP_N, "the one-step run")
    model = session.new_model(session.s(40))
    before = session.params(model)
    # The student's own layer gradient of the mean CE at these weights, on a twin model.
    twin = session.new_model(session.s(40))
    driver = RemoteDriver(twin)
    raw = driver.params()
    driver.set_params([(W if W.shape == rW.shape else W.T, b.reshape(rb.shape))
                       for (W, b), (rW, rb) in zip(before, raw)])
    logits = driver.forward(X)
    layer_grad_ok = False
    step = None
    if logits.shape == (len(y), session.sizes[-1]) and np.all(np.isfinite(logits)):
        try:  # (a failing backward is the student's failure, raised as it is: not a ValueError)
            grads = session.orient(driver.backward_grads(cross_entropy_grad(logits, y)))
            step = -lr * flatten(grads)
            _, ref_grads = cal.ref_gradients(before, X, y, session.activation)
            ref_step = -lr * flatten(ref_grads)
            layer_grad_ok = bool(np.allclose(step, ref_step, rtol=1e-5, atol=1e-8))
        except ValueError:
            step = None
    if step is None:  # the layers' own gradient is unusable: measure against the reference's
        _, ref_grads = cal.ref_gradients(before, X, y, session.activation)
        step = -lr * flatten(ref_grads)
    twin.release()
    model.spy("backward")
    session.train(model, X, y, epochs=1, batch_size=STEP_N, lr=lr, seed=session.s(41), timeout_s=timeout)
    backward_calls = len(model.spy_log("backward"))
    after = session.params(model)
    with np.errstate(all="ignore"):
        delta = flatten(after) - flatten(before)
    return StepResult(fit_step(delta, step), backward_calls, STEP_N, lr, layer_grad_ok)


def repro(session: TrainingSession) -> ReproResult:
    n = REPRO_N if not session.plan().slow else 64
    X, y = session.X(n)
    timeout = session.affordable(n, "the reproducibility run")
    a, b, c = (session.new_model(session.s(50)), session.new_model(session.s(50)), session.new_model(session.s(51)))
    pa, pb, pc = session.params(a), session.params(b), session.params(c)
    from grader.training.instrument import weights_equal

    init_same = weights_equal(pa, pb, rtol=0, atol=0)
    init_differs = not weights_equal(pa, pc)
    # Same starting weights for all three (set by the grader), so only train() can differ.
    for model in (b, c):
        RemoteDriver(model).set_params(as_student_layout(session, model, pa))
    results = []
    for model, seed in ((a, session.s(52)), (b, session.s(52)), (c, session.s(53))):
        session.train(model, X, y, epochs=1, batch_size=REPRO_BATCH, lr=float(session.cfg.lr), seed=seed,
                   timeout_s=timeout)
        results.append(session.params(model))
    constant = all(float(np.ptp(W)) == 0.0 for W, _ in pa)
    return ReproResult(init_same, init_differs, weights_equal(results[0], results[1]),
                       not weights_equal(results[0], results[2]),
                       train_changed_weights=not weights_equal(results[0], pa), init_constant=constant)


def as_student_layout(session: TrainingSession, model: Any, params: Params) -> Params:
    raw = RemoteDriver(model).params()
    return [(W if W.shape == rW.shape else W.T, b.reshape(rb.shape))
            for (W, b), (rW, rb) in zip(params, raw)]


def tiny_data(session: TrainingSession) -> tuple[np.ndarray, np.ndarray]:
    """Five rows of each class, in a seeded order."""
    Xall, yall = session.X()
    idx = class_sorted_subset(yall, TINY_PER_CLASS)
    idx = idx[np.random.default_rng(session.s(60)).permutation(len(idx))]
    return Xall[idx], yall[idx]


def tiny_reference(session: TrainingSession, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The keyword arguments of the reference's run on the tiny batch (calibration.train_reference)."""
    return dict(X=X, y=y, X_test=X, y_test=y, sizes=session.sizes, activation=session.activation,
                epochs=TINY_EPOCHS, batch_size=TINY_BATCH, lr=float(session.cfg.lr), init_seed=session.s(61),
                train_seed=session.s(62), cache_key=("tiny", session.dataset.name, session.seed))


def tiny(session: TrainingSession) -> TinyResult:
    X, y = tiny_data(session)
    epochs = TINY_EPOCHS
    lr = float(session.cfg.lr)
    timeout = session.affordable(len(y) * epochs, "the tiny-batch run")
    model = session.new_model(session.s(61))
    before = session.params(model)
    session.train(model, X, y, epochs=epochs, batch_size=TINY_BATCH, lr=lr, seed=session.s(62),
                  timeout_s=timeout)
    after = session.params(model)
    finite = all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in after)
    ref = cal.train_reference(**tiny_reference(session, X, y))
    return TinyResult(
        train_accuracy=accuracy(cal.ref_predict(after, X, session.activation), y),
        loss_before=cross_entropy(cal.ref_forward(before, X, session.activation), y),
        loss_after=cross_entropy(cal.ref_forward(after, X, session.activation), y),
        finite=finite, ref_accuracy=ref.train_accuracy)


def loop(session: TrainingSession) -> LoopComparison:
    Xall, yall = session.X()
    n = min(LOOP_N, max(len(yall) - LOOP_EVAL, len(yall) // 2))
    X, y = Xall[:n], yall[:n]
    Xe, ye = Xall[n:n + LOOP_EVAL], yall[n:n + LOOP_EVAL]
    epochs = LOOP_EPOCHS
    try:
        plan: Plan | None = session.plan()
    except (StudentFailure, CallBlocked):
        plan = None  # train() itself failed; this loop does not need it, only the layers
    if plan is not None and plan.slow:
        epochs = 1
        session.affordable(n * epochs, "the grader's training loop")
    kwargs = dict(activation=session.activation, epochs=epochs, batch_size=LOOP_BATCH,
                  lr=float(session.cfg.lr), seed=session.s(70))
    from reference.network import MLP

    with cal.one_blas_thread():
        ref_model = MLP(list(session.sizes), activation=session.activation,
                        rng=np.random.default_rng(session.s(71)))
        ref_model_init = MLP(list(session.sizes), activation=session.activation,
                             rng=np.random.default_rng(session.s(71)))
        reference = grader_loop(LocalDriver(ref_model), X, y, Xe, ye, **kwargs)
    model = session.new_model(session.s(71))
    timeout = (plan.timeout(LOOP_BATCH, float(session.limits.call_timeout_s))
               if plan is not None and plan.slow else None)
    try:
        driver = RemoteDriver(model, timeout_s=timeout)
        # Same starting point as the reference's layers: the loop judges forward/backward, not init.
        driver.set_params(as_student_layout(session, model, LocalDriver(ref_model_init).params()))
        student = grader_loop(driver, X, y, Xe, ye, **kwargs)
    except ValueError as exc:  # wrong shapes or non-arrays from forward / dW / db
        return LoopComparison(LoopResult(), reference, error=str(exc))
    return LoopComparison(student, reference)
