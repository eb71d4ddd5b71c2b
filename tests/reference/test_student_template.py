"""The student template imports cleanly and every contract function raises NotImplementedError."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

TEMPLATE = Path(__file__).resolve().parents[2] / "student_template"
MODULES = ("layers", "losses", "optim", "network")


@pytest.fixture()
def template(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(TEMPLATE))
    for name in MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    return {name: importlib.import_module(name) for name in MODULES}


def calls(modules: dict[str, ModuleType]) -> list[tuple[str, object]]:
    """One call per contract entry point, each with valid arguments."""
    layers, losses, optim, network = (modules[m] for m in MODULES)
    x = np.zeros((2, 3))
    bare = {cls: object.__new__(getattr(layers, cls)) for cls in ("Linear", "ReLU", "Sigmoid", "Tanh")}
    ce, mse = losses.SoftmaxCrossEntropy(), losses.MSELoss()
    sgd, mlp = object.__new__(optim.SGD), object.__new__(network.MLP)
    return [
        ("Linear.__init__", lambda: layers.Linear(3, 2)),
        *[(f"{cls}.forward", lambda o=o: o.forward(x)) for cls, o in bare.items()],
        *[(f"{cls}.backward", lambda o=o: o.backward(x)) for cls, o in bare.items()],
        ("softmax", lambda: losses.softmax(x)),
        ("SoftmaxCrossEntropy.forward", lambda: ce.forward(x, np.zeros(2, dtype=int))),
        ("SoftmaxCrossEntropy.backward", ce.backward),
        ("MSELoss.forward", lambda: mse.forward(x, x)),
        ("MSELoss.backward", mse.backward),
        ("SGD.__init__", lambda: optim.SGD([], lr=0.1)),
        ("SGD.step", sgd.step),
        ("MLP.__init__", lambda: network.MLP([3, 2])),
        ("MLP.forward", lambda: mlp.forward(x)),
        ("MLP.backward", lambda: mlp.backward(x)),
        ("MLP.predict", lambda: mlp.predict(x)),
        ("train", lambda: network.train(mlp, x, np.zeros(2, dtype=int))),
    ]


def test_every_contract_function_raises_not_implemented(template: dict[str, ModuleType]) -> None:
    entries = calls(template)
    assert len(entries) == 21
    for name, call in entries:
        with pytest.raises(NotImplementedError):
            call()  # type: ignore[operator]


def test_template_has_the_reference_signatures(template: dict[str, ModuleType]) -> None:
    import inspect

    import reference.layers, reference.losses, reference.network, reference.optim  # noqa: E401

    for name in MODULES:
        ours = importlib.import_module(f"reference.{name}")
        for attr, obj in vars(ours).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != ours.__name__:
                continue
            theirs = getattr(template[name], attr)
            targets = [(attr, obj, theirs)]
            if inspect.isclass(obj):
                targets = [(f"{attr}.{m}", getattr(obj, m), getattr(theirs, m))
                           for m in vars(obj) if not m.startswith("_") or m == "__init__"]
            for label, ref_fn, tpl_fn in targets:
                assert str(inspect.signature(ref_fn)) == str(inspect.signature(tpl_fn)), label
