"""A course handout's stubs, read from the source (grader/coursestubs.py): the forms MyTorch
and CS231n write are stubs; one line of real work makes a function written."""

from __future__ import annotations

import ast
import textwrap

import pytest

from grader.coursestubs import definitions, is_course_stub


def function(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


STUBS = {
    "returns NotImplemented": """
        def forward(self, A):
            self.A = None  # TODO
            Z = None  # TODO
            if self.debug:
                self.Z = Z
            return NotImplemented
        """,
    "pass only": """
        def backward(self, dLdA):
            '''Write it.'''
            pass
        """,
    "return None": """
        def step(self):
            return None
        """,
    "constructor of Nones": """
        def __init__(self, in_features, out_features, debug=False):
            self.W = None
            self.b = None
            self.debug = debug
        """,
    "placeholder in a loop": """
        def step(self):
            for i in range(self.L):
                self.l[i].W = None  # TODO
                self.v_W[i] = None
            return NotImplemented
        """,
    "out None and a cache of the arguments": """
        def affine_forward(x, w, b):
            out = None
            pass
            cache = (x, w, b)
            return out, cache
        """,
    "unpacked cache, three Nones": """
        def affine_backward(dout, cache):
            x, w, b = cache
            dx, dw, db = None, None, None
            pass
            return dx, dw, db
        """,
    "loss and an empty grads": """
        def loss(self, X, y=None):
            scores = None
            pass
            if y is None:
                return scores
            loss, grads = 0.0, {}
            pass
            return loss, grads
        """,
    "update rule filling its config": """
        def rmsprop(w, dw, config=None):
            if config is None:
                config = {}
            config.setdefault("learning_rate", 1e-2)
            config.setdefault("cache", np.zeros_like(w))
            v = config.get("velocity", np.zeros_like(w))
            next_w = None
            pass
            config["velocity"] = v
            return next_w, config
        """,
    "built only from a placeholder": """
        def forward(self, A):
            self.N = None  # TODO
            self.Ones = np.ones((self.N, 1))
            return NotImplemented
        """,
    "recast of an output still None": """
        def dropout_forward(x, dropout_param):
            mask = None
            out = None
            pass
            cache = (dropout_param, mask)
            out = out.astype(x.dtype, copy=False)
            return out, cache
        """,
}

WRITTEN = {
    "a computed return": """
        def forward(self, A):
            self.A = A
            return A @ self.W.T + self.b.T
        """,
    "a call's result": """
        def forward(self, Z):
            self.A = np.maximum(0, Z)
            return self.A
        """,
    "half of a backward (dx only)": """
        def affine_backward(dout, cache):
            x, w, b = cache
            dx, dw, db = None, None, None
            dx = (dout @ w.T).reshape(x.shape)
            return dx, dw, db
        """,
    "grads filled in": """
        def loss(self, X, y=None):
            loss, grads = 0.0, {}
            grads["W1"] = X.T @ y
            return loss, grads
        """,
    "an update in place": """
        def sgd(w, dw, config=None):
            w -= config["learning_rate"] * dw
            return w, config
        """,
    "pass left after the code": """
        def relu_forward(x):
            out = None
            out = np.maximum(0, x)
            pass
            cache = x
            return out, cache
        """,
}


@pytest.mark.parametrize("name", STUBS)
def test_the_handouts_stub_forms_are_stubs(name):
    assert is_course_stub(function(STUBS[name])), name


@pytest.mark.parametrize("name", WRITTEN)
def test_one_line_of_work_makes_it_written(name):
    assert not is_course_stub(function(WRITTEN[name])), name


CONSTRUCTOR = """
    def __init__(self, hidden_dims, dropout_keep_ratio=1, reg=0.0, dtype=np.float32):
        self.use_dropout = dropout_keep_ratio != 1
        self.num_layers = 1 + len(hidden_dims)
        self.params = {}
        pass
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
    """


def test_a_constructor_is_judged_by_what_it_produces():
    # The handout's own settings are computed; its product, params, is still empty.
    assert not is_course_stub(function(CONSTRUCTOR))
    assert is_course_stub(function(CONSTRUCTOR), ("params",))
    written = CONSTRUCTOR.replace("        pass\n", "        self.params['W1'] = np.zeros((2, 3))\n")
    assert not is_course_stub(function(written), ("params",))


def test_definitions_name_functions_classes_and_methods(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text("def f():\n    pass\nclass Sigmoid:\n    '''Write it.'''\nclass L:\n    def forward(self):\n"
                    "        return 1\n")
    found = definitions(path)
    assert set(found) == {"f", "Sigmoid", "L", "L.forward"}
    path.write_text("def broken(:\n")
    assert definitions(path) is None
