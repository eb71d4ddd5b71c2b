"""MyTorch models MLP0, MLP1, MLP4 (models/mlp.py): the layer list (Linear, ReLU, ...) of the
handout's widths, forward through the stack and backward (dLdA0 and every Linear's dLdW,
dLdb). The grader sets every Linear's W and b (the handout initialises them to zeros), and
checks values through forward and backward only: debug intermediates are allowed, never
required."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checks import strategies as S
from grader.checks.framework import fail, tags, title
from grader.profiles.mytorch_hw1p1 import reference as R
from grader.profiles.mytorch_hw1p1.adapters import student_array
from grader.profiles.mytorch_hw1p1.checking import expect_close
from grader.profiles.mytorch_hw1p1.layout import MODELS
from grader.sandbox import StudentException

MODEL_PARAMS = tuple(pytest.param(name, marks=tags(name.lower()), id=name) for name in MODELS)


@st.composite
def model_cases(draw: st.DrawFn, *, widths: tuple[int, ...]):
    """Canonical params of the model's Linears, A0 (N, in) and dLdA (N, out)."""
    n = draw(st.integers(1, 8))
    rng = S.generator(draw(S.SEEDS))
    params = [(rng.uniform(-1, 1, (a, b)), rng.uniform(-0.5, 1, b)) for a, b in zip(widths, widths[1:])]
    return params, rng.uniform(-2, 2, (n, widths[0])), rng.uniform(-1, 1, (n, widths[-1]))


def built(mytorch, name: str, params: R.Params | None = None):
    """The student's model with the handout's layer list checked, and `params` set."""
    widths = MODELS[name]
    model = mytorch.model(name, widths)
    expected = model.expected_types()  # 2.0.x: the Linears only (the ReLUs are in `f`)
    if model.types != expected:
        fail("missing-api", f"{name}.layers holds {model.types}; the handout's {name} is "
             f"{expected} with widths {' -> '.join(map(str, widths))}")
    for i, face in enumerate(model.linears):
        # The widths, in MyTorch's words; the initial b's shape is the Linear check's finding
        # (the grader sets b itself, as the course does), not charged again in every model.
        student_array(face.remote.get("W"), (face.fan_out, face.fan_in), what=f"{name}'s Linear.W")
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
@settings(max_examples=S.examples(0.3))
@given(data=st.data())
def test_forward(mytorch, name, data):
    """forward(A0) returns the last ReLU's output, through every layer in order."""
    params, A0, _ = data.draw(model_cases(widths=MODELS[name]), label="case")
    model = built(mytorch, name, params)
    expect_close(model.forward(A0), R.mlp_forward(params, A0)[-1], what=f"{name}.forward",
                 diagnosis_id="wrong-forward", formula="A = ReLU(Linear(...ReLU(Linear(A0))))")


@title("{name}: backward returns dLdA0, fills dLdW and dLdb")
@pytest.mark.parametrize("name", MODEL_PARAMS)
@settings(max_examples=S.examples(0.3))
@given(data=st.data())
def test_backward(mytorch, name, data):
    """backward(dLdA) returns dLdA0 and leaves every Linear's dLdW, dLdb of this pass."""
    params, A0, g = data.draw(model_cases(widths=MODELS[name]), label="case")
    model = built(mytorch, name, params)
    model.forward(A0)
    dLdA0 = model.backward(g)
    want_dA0, want = R.mlp_backward(params, A0, g)
    n = A0.shape[0]
    expect_close(dLdA0, want_dA0, what=f"{name}.backward's dLdA0", n=n,
                 formula="the layers' backward calls in reverse order")
    for i, (face, (dW, db)) in enumerate(zip(model.linears, want)):
        got_W, got_b = face.grads(np.zeros((n, dW.shape[1])))
        expect_close(got_W, dW, what=f"{name}.layers[{model.linear_index(i)}].dLdW", n=n,
                     formula="each Linear's dLdW from its own forward input and upstream gradient")
        expect_close(got_b, db, what=f"{name}.layers[{model.linear_index(i)}].dLdb", n=n,
                     formula="each Linear's dLdb summed over the batch")
