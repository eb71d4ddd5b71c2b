"""MyTorch models MLP0, MLP1, MLP4 (models/mlp.py, or mytorch/models/mlp.py in handouts that
kept it there): the layer list (Linear, ReLU, ...) of the handout's widths, forward through the
stack and backward (dLdA0 and every Linear's dLdW, dLdb). The grader sets every Linear's W and
b, as the course's autograder does, so the architecture is read from the W shapes only (a
wrong initial b is the Linear constructor's finding, charged there once). Some semesters'
handouts say backward "does not return anything" and the autograder reads dLdA0 from the
model built with debug=True: a backward that returns nothing but keeps dLdA0 (MLP4: dLdA[0])
is right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import diagnose as D
from grader.checks import gradcheck as G
from grader.checks import strategies as S
from grader.checks.framework import CheckFailure, fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1.adapters import student_array
from grader.profiles.mytorch_hw1p1.checking import COURSE_SHAPES, FLOAT32_RTOL, expect_course_close
from grader.profiles.mytorch_hw1p1.layout import MODELS
from grader.sandbox import StudentException

MODEL_PARAMS = tuple(pytest.param(name, marks=tags(name.lower()), id=name) for name in MODELS)


@st.composite
def model_cases(draw: st.DrawFn, *, widths: tuple[int, ...]):
    """Canonical params of the model's Linears, A0 (N, in) and dLdA (N, out), N >= 2 as in
    the course's tests (a batch of one sample is test_linear's beyond-course check)."""
    n = draw(st.integers(COURSE_SHAPES["min_batch"], 8))
    rng = S.generator(draw(S.SEEDS))
    params = [(rng.uniform(-1, 1, (a, b)), rng.uniform(-0.5, 1, b)) for a, b in zip(widths, widths[1:])]
    return params, rng.uniform(-2, 2, (n, widths[0])), rng.uniform(-1, 1, (n, widths[-1]))


def built(mytorch, name: str, params: R.Params | None = None, **kwargs):
    """The student's model with the handout's layer list checked, and `params` set."""
    widths = MODELS[name]
    model = mytorch.model(name, widths, **kwargs)
    expected = model.expected_types()  # 2.0.x: the Linears only (the ReLUs are in `f`)
    # The course's autograder reads the Linear layers at layers[0], layers[2], ... only (2.0.x:
    # layers[0], layers[1], ...): an MLP0 keeping its ReLU elsewhere passes it, an MLP1 of
    # [Linear, Linear] does not (in 3.0.x).
    linear_at = [model.linear_index(i) for i in range(len(widths) - 1)]
    if any(i >= len(model.types) or model.types[i] != "Linear" for i in linear_at) \
            or model.types.count("Linear") != len(linear_at):
        fail("missing-api", f"{name}.layers holds {model.types}; the handout's {name} is "
             f"{expected} with widths {' -> '.join(map(str, widths))} (the course's autograder "
             f"reads the Linear layers at layers{linear_at})")
    for i, face in enumerate(model.linears):
        # The architecture, as the course checks it: W (out, in). The initial b is replaced
        # below, as the autograder does; its shape is test_linear's constructor check.
        student_array(face.remote.get("W"), (face.fan_out, face.fan_in),
                      what=f"{name}.layers[{model.linear_index(i)}].W")
        if params is not None:
            face.set_params(*params[i])
    return model


@title("{name}: layers have the handout's widths")
@pytest.mark.parametrize("name", MODEL_PARAMS)
def test_layers(mytorch, name):
    """`layers` is Linear, ReLU, ... with the handout's widths; the debug keyword is accepted."""
    built(mytorch, name)
    try:
        mytorch.model(name, MODELS[name], debug=True)
    except StudentException as exc:
        if exc.exc_type == "TypeError":
            fail("missing-api", f"{name}(debug=True) fails ({exc.message}): keep the handout's "
                 f"signature {name}(debug=False)")
        raise


@title("{name}: forward runs through every layer")
@pytest.mark.parametrize("name", MODEL_PARAMS)
@S.share(0.3)
@given(data=st.data())
def test_forward(mytorch, name, data):
    """forward(A0) returns the last ReLU's output, through every layer in order."""
    params, A0, _ = data.draw(model_cases(widths=MODELS[name]), label="case")
    model = built(mytorch, name, params)
    expect_course_close(model.forward(A0), R.mlp_forward(params, A0)[-1], what=f"{name}.forward",
                 diagnosis_id="wrong-forward", formula="A = ReLU(Linear(...ReLU(Linear(A0))))",
                 rtol=model_rtol(mytorch))


@title("{name}: backward returns dLdA0, fills dLdW and dLdb")
@pytest.mark.parametrize("name", MODEL_PARAMS)
@S.share(0.3)
@given(data=st.data())
def test_backward(mytorch, name, data):
    """backward(dLdA) gives dLdA0 (returned, or kept as the debug attribute the course reads)
    and leaves every Linear's dLdW, dLdb of this pass. Built with debug=True, as the course does."""
    params, A0, g = data.draw(model_cases(widths=MODELS[name]), label="case")
    model = built(mytorch, name, params, debug=True)
    model.forward(A0)
    if mytorch.legacy:
        check_debug_attributes(model, name, debug_values(name, params, A0, g), forward=True)
    returned = model.backward(g)
    want_dA0, want = R.mlp_backward(params, A0, g)
    n = A0.shape[0]
    dLdA0 = returned
    if not is_close(returned, want_dA0):
        kept = model.debug_dLdA0()
        if kept is not None and (returned is None or is_close(kept, want_dA0)):
            dLdA0 = kept  # what the course's autograder reads
    rtol = model_rtol(mytorch)
    expect_course_close(dLdA0, want_dA0, what=f"{name}.backward's dLdA0", n=n, rtol=rtol,
                 formula="the layers' backward calls in reverse order (returned, or kept as "
                 f"{name}.{'dLdA[0]' if name == 'MLP4' else 'dLdA0'} with debug=True)")
    for i, (face, (dW, db)) in enumerate(zip(model.linears, want)):
        got_W, got_b = linear_grads(face, n, dW.shape[1])
        expect_course_close(got_W, dW, what=f"{name}.layers[{model.linear_index(i)}].dLdW", n=n, rtol=rtol,
                     formula="each Linear's dLdW from its own forward input and upstream gradient")
        expect_course_close(got_b, db, what=f"{name}.layers[{model.linear_index(i)}].dLdb", n=n, rtol=rtol,
                     formula="each Linear's dLdb summed over the batch")
    if mytorch.legacy:
        check_debug_attributes(model, name, debug_values(name, params, A0, g), forward=False)


def debug_values(name: str, params: R.Params, A0: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    """2.0.x: the debug attributes the 2.0.1 autograder reads after forward and backward, by the
    names it reads them: MLP0/MLP1 `Z0`, `A1`, `dA1dZ0`, `dLdZ0`, `dLdA0`, ... and MLP4 the
    lists `Z[i]`, `A[i]`, `dAdZ[i]`, `dLdZ[i]`, `dLdA[i]` (keys "Z[0]", ...)."""
    A = R.mlp_forward(params, A0)
    Z = [R.linear_forward(A[i], W, b) for i, (W, b) in enumerate(params)]
    dAdZ = [(z > 0).astype(float) for z in Z]
    dLdZ, dLdA = [None] * len(params), [None] * len(params)
    grad = g
    for i in range(len(params) - 1, -1, -1):
        dLdZ[i] = grad * dAdZ[i]
        grad = dLdA[i] = dLdZ[i] @ params[i][0].T
    values: dict[str, np.ndarray] = {}
    for i in range(len(params)):
        if name == "MLP4":
            values.update({f"Z[{i}]": Z[i], f"A[{i + 1}]": A[i + 1], f"dAdZ[{i}]": dAdZ[i],
                           f"dLdZ[{i}]": dLdZ[i], f"dLdA[{i}]": dLdA[i]})
        else:
            values.update({f"Z{i}": Z[i], f"A{i + 1}": A[i + 1], f"dA{i + 1}dZ{i}": dAdZ[i],
                           f"dLdZ{i}": dLdZ[i], f"dLdA{i}": dLdA[i]})
    return values


def check_debug_attributes(model, name: str, values: dict[str, np.ndarray], *, forward: bool) -> None:
    """2.0.x: the debug attributes (the model is built with debug=True) hold the values the
    2.0.1 autograder's MLP sections compare (np.allclose, which broadcasts): Z and A read right
    after forward (`forward`), as it reads them, the gradients after backward."""
    lists: dict[str, object] = {}
    for key, expected in values.items():
        if (key[0] in "ZA") != forward:
            continue
        attr, _, index = key.partition("[")
        if attr not in lists:
            lists[attr] = model.remote.get(attr) if model.remote.has(attr) else None
        value = lists[attr]
        if index:
            k = int(index.rstrip("]"))
            value = value[k] if isinstance(value, (list, tuple)) and k < len(value) else None
        if value is None or not D._numeric(value):
            fail("missing-api", f"{name}(debug=True) keeps no {name}.{key} after forward and "
                 "backward: the 2.0.x autograder reads it (the handout's debug block stores it)")
        try:
            ok = bool(np.allclose(np.asarray(value, dtype=np.float64), expected, rtol=1e-5, atol=1e-4))
        except ValueError:  # shapes that do not broadcast
            ok = False
        if not ok:
            kind = "wrong-forward" if key[0] in "ZA" else "wrong-gradient"
            raise D.mismatch(kind, f"{name}.{key} (kept with debug=True) differs from the value the "
                             "2.0.x autograder expects there", actual=value, expected=expected, found=None)


def model_rtol(mytorch) -> float:
    """2.0.x: the handout itself builds float32 arrays (Identity's dA/dZ, dtype="f"), so a
    float32 activation feeding the next Linear is its style; the 2.0.1 autograder compares to
    4 decimals, so values through float32 intermediates are judged at float32's precision."""
    return FLOAT32_RTOL if mytorch.legacy else G.REFERENCE_RTOL


def linear_grads(face, n: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    """A model's Linear's dLdW, dLdb. A shape defect in them is the Linear's own (its backward
    check charges it): said here, with this check's points kept, so one line costs once."""
    try:
        return face.grads(np.zeros((n, fan_out)))
    except CheckFailure as exc:
        if not {d.id for d in exc.diagnoses} <= {"shape-mismatch", "bias-gradient-not-summed"}:
            raise
        raise CheckFailure(*(D.diagnosis(d.id, d.hint + " (this is Linear.backward's defect, "
                                         "charged by the Linear checks; not charged again here)")
                             for d in exc.diagnoses), credit=1.0) from None


def is_close(value: object, expected: np.ndarray) -> bool:
    """Whether `value` is an array of `expected`'s shape equal to it (float32 allowed)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.shape == expected.shape and bool(np.allclose(arr, expected, rtol=1e-5, atol=1e-8))
