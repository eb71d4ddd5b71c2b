"""The student's MyTorch objects, seen by the checks in the grader's canonical shapes.

Each face wraps a RemoteObject (or builds one) and translates at the boundary:
- parameters in: canonical W (in, out), b (out,) -> MyTorch W (out, in), b (out, 1);
- gradients out: MyTorch dLdW (out, in), dLdb (out, 1) -> canonical (in, out), (out,),
  after checking the MyTorch shapes and naming a wrong one in MyTorch's words;
- labels in: integer labels -> one-hot Y (N, C);
- per-feature BatchNorm vectors (1, C) <-> (C,);
- a 2.0.x submission (convention api = "2.0.x", v2.py) into 3.0.x units (v2_adapters.py).
Nothing here compares values: the checks do, against reference.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from grader.checks import diagnose as D
from grader.checks.framework import CheckFailure, diagnosis, not_assigned
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1 import signatures as MS
from grader.profiles.mytorch_hw1p1 import v2
from grader.profiles.mytorch_hw1p1 import v2_adapters as V2
from grader.profiles.mytorch_hw1p1.checking import course_array, course_scalar
from grader.profiles.base import module_file
from grader.profiles.mytorch_hw1p1.layout import MODULES
from grader.sandbox import StudentException
from grader.training.runs import KeptRows

T = TypeVar("T")

LINEAR_SHAPES = ("Linear multiplies arrays of incompatible shapes: forward is Z = A @ W.T + b.T "
                 "(N, out), backward returns dLdA = dLdZ @ W (N, in) and sets dLdW = dLdZ.T @ A "
                 "(out, in), dLdb = dLdZ.T @ ones (out, 1)")


def takes_no_argument(exc: StudentException) -> bool:
    """The student's backward() refused dLdA: a 2.0.x-style signature."""
    return exc.exc_type == "TypeError" and "positional argument" in exc.message and \
        "backward()" in exc.message


def backward_signature_failure(what: str) -> CheckFailure:
    return CheckFailure(diagnosis(
        "missing-api", f"{what}.backward takes no dLdA: that is the 2.0.x handout's convention; "
        f"in 3.0.x backward(dLdA) returns dLdZ = dLdA * dA/dZ"))


def student_array(value: object, shape: tuple[int, ...], *, what: str) -> np.ndarray:
    """A float64 array of the MyTorch `shape` (float32 accepted, as the course does), or a
    CheckFailure naming the problem."""
    return course_array(value, shape, what=what,
                        extra=lambda: MS.mytorch_shape_signature(value, shape, what=what))[0]


class LinearFace:
    """A student Linear(in, out) with canonical parameters W (in, out), b (out,)."""

    def __init__(self, remote: Any, fan_in: int, fan_out: int, *, legacy: bool = False) -> None:
        self.handle = remote  # the raw RemoteObject, to hand to the student's SGD
        self.remote = D.Guarded(remote, "Linear", LINEAR_SHAPES)
        self.fan_in, self.fan_out = fan_in, fan_out
        self.legacy = legacy  # 2.0.x: dLdW, dLdb averaged over the batch

    def set_params(self, W: np.ndarray, b: np.ndarray) -> None:
        for name, value in self._params(W, b).items():
            self.remote.set(name, value)

    @staticmethod
    def _params(W: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        """The student's W (out, in) and b (out, 1) from canonical W (in, out), b (out,)."""
        return {"W": np.ascontiguousarray(W.T), "b": b.reshape(-1, 1).copy()}

    def forward_with(self, params: list[tuple[np.ndarray, np.ndarray]], A: np.ndarray) -> list[np.ndarray]:
        """`set_params(W, b)` then `forward(A)` for each (W, b), in one round trip."""
        return self.remote.call_each("forward", [(A,)] * len(params),
                                     sets=[self._params(W, b) for W, b in params])

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        W = student_array(self.remote.get("W"), (self.fan_out, self.fan_in), what="Linear.W")
        b = student_array(self.remote.get("b"), (self.fan_out, 1), what="Linear.b")
        return W.T.copy(), b.reshape(-1).copy()

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.remote.call("forward", A)

    def forward_each(self, As: list[np.ndarray]) -> list[np.ndarray]:
        return self.remote.call_each("forward", [(A,) for A in As])

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self.remote.call("backward", dLdZ)

    def grads(self, dLdZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical (dW (in, out), db (out,)) from dLdW (out, in), dLdb (out, 1)."""
        dLdW = student_array(self.remote.get("dLdW"), (self.fan_out, self.fan_in), what="Linear.dLdW")
        raw_b = self.remote.get("dLdb")
        dLdb = D.require_array(raw_b, (self.fan_out, 1), what="Linear.dLdb",
                               extra=lambda: MS.bias_gradient_signature(raw_b, dLdZ))
        if self.legacy:
            n = dLdZ.shape[0]
            dLdW, dLdb = V2.linear_gradient(dLdW, n), V2.linear_gradient(dLdb, n)
        return dLdW.T.copy(), dLdb.reshape(-1).copy()


class ActivationFace:
    def __init__(self, remote: Any, name: str, *, legacy: bool = False) -> None:
        self.remote, self.name = remote, name
        self.legacy = legacy  # 2.0.x: backward() takes no argument and returns dA/dZ

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return self.remote.call("forward", Z)

    def forward_each(self, Zs: list[np.ndarray]) -> list[np.ndarray]:
        return self.remote.call_each("forward", [(Z,) for Z in Zs])

    def backward_watched(self, dLdA: np.ndarray) -> np.ndarray:
        """backward, raising input-mutation if the call edits its argument in place."""
        if self.legacy:
            return V2.activation_backward(self.remote, self.name, dLdA, watched=True)
        return D.call_watched(self.remote, "backward", dLdA, what=f"{self.name}.backward")

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        if self.legacy:
            return V2.activation_backward(self.remote, self.name, dLdA)
        try:
            return self.remote.call("backward", dLdA)
        except StudentException as exc:
            if takes_no_argument(exc):
                raise backward_signature_failure(self.name) from None
            raise


class LossFace:
    """MSELoss or CrossEntropyLoss; `forward(A, Y)` takes the one-hot Y the course uses."""

    def __init__(self, remote: Any, name: str, *, legacy: bool = False, early: bool = False) -> None:
        self.remote, self.name = remote, name
        self.legacy = legacy  # 2.0.x: MSE halved, cross-entropy's gradient without 1/N
        self.early = early    # 2.0.x mytorch/models: MSE = SSE / (N C), dLdA = A - Y
        self.batch = 1

    def forward(self, A: np.ndarray, Y: np.ndarray, *, strict: bool = False) -> float:
        """The loss value (2.0.x: in 3.0.x units, v2_adapters.py). A loss that is not a single
        number is charged once, by the forward check (`strict`); elsewhere its mean stands in,
        so the gradient checks judge backward."""
        self.batch = A.shape[0]
        return self._value(self.remote.call("forward", A, Y), strict)

    def forward_each(self, As: list[np.ndarray], Y: np.ndarray) -> list[float]:
        """`forward(A, Y)` for each A, in one round trip."""
        self.batch = As[0].shape[0] if As else self.batch
        return [self._value(value, False) for value in self.remote.call_each("forward", [(A, Y) for A in As])]

    def _value(self, value: Any, strict: bool) -> float:
        if strict:
            return self._units(course_scalar(value, what=f"{self.name}.forward"))
        try:
            return self._units(course_scalar(value, what=f"{self.name}.forward"))
        except CheckFailure:
            if value is None or not D._numeric(value) or np.asarray(value).size == 0:
                raise
            return self._units(float(np.mean(np.asarray(value, dtype=np.float64))))

    def _units(self, value: float) -> float:
        return V2.loss_value(self.name, value, early=self.early) if self.legacy else value

    def backward(self, *, native: bool = False) -> np.ndarray:
        """dLdA in 3.0.x units, or (`native`) as the student's own Linear expects it."""
        return self._gradient(self.remote.call("backward"), native)

    def forward_backward(self, A: np.ndarray, Y: np.ndarray, *,
                         native: bool = False) -> tuple[float, np.ndarray]:
        """`(forward(A, Y), backward(native=native))` in one round trip (a lazy plan: backward
        needs nothing from the grader). The loss value is judged before backward's result is
        read, so a failure is the one the two calls made one after the other would raise."""
        self.batch = A.shape[0]
        plan = self.remote.plan()
        value = plan.method(self.remote, "forward", A, Y)
        grad = plan.method(self.remote, "backward")
        plan.run(lazy=True)
        loss = self._value(value.value, False)
        return loss, self._gradient(grad.value, native)

    def _gradient(self, grad: np.ndarray, native: bool) -> np.ndarray:
        if self.legacy and not native:
            return V2.loss_gradient(self.name, grad, self.batch, early=self.early)
        return grad


class BatchNormFace:
    """BatchNorm1d(C) with canonical (C,) vectors for BW, Bb and the running statistics."""

    VECTORS = ("BW", "Bb", "running_M", "running_V")

    def __init__(self, remote: Any, features: int) -> None:
        self.remote, self.features = remote, features

    def get(self, name: str) -> np.ndarray:
        value = student_array(self.remote.get(name), (1, self.features), what=f"BatchNorm1d.{name}")
        return value.reshape(-1).copy()

    def gradient(self, name: str, extra=None) -> np.ndarray:
        """dLdBW or dLdBb as (C,): the handout's (1, C) or a flat (C,), which the course's
        autograder never reads (it checks BZ and dLdZ only), so either is right."""
        raw = self.remote.get(name)
        if raw is not None and D._numeric(raw) and np.asarray(raw).shape == (self.features,):
            return course_array(raw, (self.features,), what=f"BatchNorm1d.{name}")[0].copy()
        arr = course_array(raw, (1, self.features), what=f"BatchNorm1d.{name}",
                           extra=None if extra is None else lambda: extra(raw))[0]
        return arr.reshape(-1).copy()

    def set(self, name: str, value: np.ndarray) -> None:
        self.remote.set(name, value.reshape(1, -1).copy())

    def forward(self, Z: np.ndarray, *, eval: bool = False) -> np.ndarray:
        return self.remote.call("forward", Z, eval=eval) if eval else self.remote.call("forward", Z)

    def forward_each(self, Zs: list[np.ndarray]) -> list[np.ndarray]:
        """Training-mode `forward(Z)` for each Z, in one round trip."""
        return self.remote.call_each("forward", [(Z,) for Z in Zs])

    def backward(self, dLdBZ: np.ndarray) -> np.ndarray:
        return self.remote.call("backward", dLdBZ)


class ModelFace:
    """MLP0 / MLP1 / MLP4: its `layers`, the Linear ones as LinearFaces."""

    def __init__(self, remote: Any, name: str, widths: tuple[int, ...], *, legacy: bool = False) -> None:
        self.remote, self.name, self.widths = remote, name, widths
        self.legacy = legacy  # 2.0.x: layers holds the Linears only, the ReLUs are in f
        layers = remote.get("layers")
        if not isinstance(layers, list):
            raise CheckFailure(diagnosis("missing-api", f"{name}.layers is a {type(layers).__name__}; "
                                         "it must be the list of layers, Linear then ReLU, in order"))
        self.layers = layers
        self.types = [getattr(layer, "type_name", type(layer).__name__) for layer in layers]
        self.linears = [LinearFace(layer, a, b, legacy=legacy) for layer, a, b in
                        zip([l for l, t in zip(layers, self.types) if t == "Linear"],
                            widths[:-1], widths[1:])]

    def forward(self, A0: np.ndarray) -> np.ndarray:
        return self.remote.call("forward", A0)

    def expected_types(self) -> list[str]:
        """The layer list the handout's model holds."""
        n = len(self.widths) - 1
        return ["Linear"] * n if self.legacy else ["Linear", "ReLU"] * n

    def linear_index(self, i: int) -> int:
        """Where the i-th Linear sits in `layers`."""
        return i if self.legacy else 2 * i

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        result = self.remote.call("backward", dLdA)
        if self.legacy:
            # The 2.0.x autograder reads the debug attribute (built with debug=True), never the
            # return value: grade what it reads, the return value only when nothing is kept.
            kept = self.debug_dLdA0()
            return kept if kept is not None else result
        return result

    def debug_dLdA0(self) -> object:
        """dLdA0 as the course's autograder reads it from a model built with debug=True:
        `dLdA0` (MLP0, MLP1) or `dLdA[0]` (MLP4's list); None when neither is kept."""
        for name in ("dLdA0", "dLdA"):
            if not self.remote.has(name):
                continue
            value = self.remote.get(name)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if value is not None:
                return value
        return None


#: Where a handout kept the models: models/mlp.py (3.0.x) or mytorch/models/mlp.py (some
#: 2.0.x and early handouts; the course's autograder imports whichever its handout has).
MLP_MODULES = (MODULES["mlp"], "mytorch.models.mlp")


def mlp_module(folder: Path) -> str:
    """The module holding MLP0/1/4 in `folder`: the first of MLP_MODULES whose file exists."""
    for module in MLP_MODULES:
        if (folder / module_file(module)).is_file():
            return module
    return MLP_MODULES[0]


class MyTorch:
    """Builds the faces of one submission (the `mytorch` fixture of the checks)."""

    def __init__(self, student: Any, api: str = v2.V3_API) -> None:
        self.student = student
        self.training_set = KeptRows(student.sandbox)  # for the training steps (training.py)
        self.legacy = v2.is_v2(api)  # the 2.0.x handout (v2.py)
        self.early_mse = v2.mse_is_early(api)

    def linear(self, fan_in: int, fan_out: int, **kwargs: Any) -> LinearFace:
        return LinearFace(self.student.new(MODULES["linear"], "Linear", fan_in, fan_out, **kwargs),
                          fan_in, fan_out, legacy=self.legacy)

    def activation(self, name: str) -> ActivationFace:
        if self.legacy and name not in v2.ACTIVATIONS:
            not_assigned(v2.not_in_release(name))
        return ActivationFace(self.student.new(MODULES["activation"], name), name, legacy=self.legacy)

    def loss(self, name: str) -> LossFace:
        return LossFace(self.student.new(MODULES["loss"], name), name, legacy=self.legacy,
                        early=self.early_mse)

    def batchnorm(self, features: int, **kwargs: Any) -> BatchNormFace:
        return BatchNormFace(self.student.new(MODULES["batchnorm"], "BatchNorm1d", features, **kwargs),
                             features)

    def model(self, name: str, widths: tuple[int, ...], **kwargs: Any) -> ModelFace:
        if self.legacy:
            kwargs.setdefault("debug", True)  # as the 2.0.x autograder builds them
        module = mlp_module(Path(self.student.sandbox.submission_dir))
        return ModelFace(self.student.new(module, name, **kwargs), name, widths, legacy=self.legacy)

    def sgd_layers(self, params: R.Params) -> list[Any]:
        """Plain layer objects in the worker holding MyTorch-shaped W, b (gradients set later)."""
        sandbox = self.student.sandbox
        return [sandbox.namespace(W=np.ascontiguousarray(W.T), b=b.reshape(-1, 1).copy())
                for W, b in params]

    def sgd(self, layers: list[Any], *, interleaved: bool = True, **kwargs: Any) -> Any:
        """SGD(model, **kwargs) on a model whose `layers` hold `layers` (objects with W, b),
        `interleaved` with activation stand-ins (no W) as the handout's MLPs are, or alone as
        the course's SGD test has them (see with_either_layout)."""
        sandbox = self.student.sandbox
        if interleaved:
            layers = [item for layer in layers for item in (layer, sandbox.namespace(kind="ReLU"))]
        model = sandbox.namespace(layers=layers)
        return self.student.new(MODULES["sgd"], "SGD", model, **kwargs)


def with_either_layout(run: Callable[[bool], T]) -> T:
    """`run(interleaved)` with the handout's model layout (Linear, activation, ...) and, if the
    student's SGD fails there, with the Linear layers alone (the course's SGD test has one
    layer and no activation, so code walking every layer passes it; code picking
    layers[::2] needs the interleaving). Code failing both raises the failure of the layout
    it ran through (a wrong value) rather than the one it crashed on."""
    try:
        return run(True)
    except (StudentException, CheckFailure) as first:
        try:
            return run(False)
        except (StudentException, CheckFailure) as second:
            ran = second if isinstance(first, StudentException) and isinstance(second, CheckFailure) \
                else first
            raise ran from None
