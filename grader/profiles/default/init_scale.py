"""What a Linear layer's fan-in-scaled initial weights look like, in one place: the Linear
check judges a fresh layer by it (checks/test_linear.py), and the training checks name weights
outside it as the culprit of a run that learns too little (checks/test_training.py)."""

from __future__ import annotations

import math

#: He (sqrt(2/fan_in)), LeCun (sqrt(1/fan_in)) and Xavier (sqrt(2/(fan_in+fan_out))), normal
#: or uniform, all fall well inside [LOW * sqrt(1/fan_in), HIGH * sqrt(2/fan_in)].
INIT_LOW, INIT_HIGH = 0.35, 2.5


def std_bounds(fan_in: int) -> tuple[float, float]:
    """The (lowest, highest) std of W a fan-in-scaled initialisation of `fan_in` inputs gives."""
    return INIT_LOW * math.sqrt(1.0 / fan_in), INIT_HIGH * math.sqrt(2.0 / fan_in)


def too_small(scale: float) -> bool:
    """Whether std(W) * sqrt(fan_in) = `scale` is below every fan-in-scaled initialisation
    (0: no spread at all, which the symmetry checks name instead)."""
    return 0.0 < scale < INIT_LOW
