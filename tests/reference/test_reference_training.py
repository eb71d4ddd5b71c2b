"""The reference learns MNIST: >= 88% test accuracy on the embedded subset (4,000 train / 1,000 test)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.data import load_dataset
from reference.network import MLP, train


@pytest.mark.parametrize("seed", [0, 1])
def test_reference_trains_to_88_percent_on_the_embedded_subset(seed: int) -> None:
    data = load_dataset(None, seed=seed)
    assert (len(data.y_train), len(data.y_test)) == (4000, 1000)
    model = MLP([784, 64, 10], rng=np.random.default_rng(seed))
    history = train(model, data.X_train, data.y_train, epochs=8, batch_size=32, lr=0.1,
                    rng=np.random.default_rng(seed + 100))
    assert len(history) == 8 and history[-1] < history[0] / 3
    accuracy = float((model.predict(data.X_test) == data.y_test).mean())
    assert accuracy >= 0.88, f"reference test accuracy {accuracy:.3f} < 0.88"
