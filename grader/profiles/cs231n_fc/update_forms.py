"""The update steps the course accepts from its update rules (optim.py), in every form its
notebooks let pass: a step equal to the rule's within the notebook's tolerance, Adam with t
counted from 0 or 1 and its corrections folded or not, RMSProp with epsilon added to the
root or under it. Used by the update-rule checks and by the training recipes' step trace.
"""

from __future__ import annotations

import numpy as np

from grader.checks import diagnose as D


def same_step(got: np.ndarray, want: np.ndarray, previous: np.ndarray) -> bool:
    """`got` is the step `want` within the course's own tolerance: 1e-7 relative on w (the
    notebook accepts "errors around e-7"), or a step (w - previous) right to 1e-6 of its size
    (tiny weights next to a big step)."""
    got = np.asarray(got, dtype=np.float64)
    return bool(D.matches(got, want, rtol=1e-7)
                or np.all(np.abs(got - want) <= 1e-6 * np.abs(want - previous) + 1e-12))


#: The Adam forms the course accepts, as reference config additions: t counted from 0 (2018
#: on) or 1 (the 2017 handout's config.setdefault('t', 1)), each in the textbook form or
#: with the corrections folded into the step size (staff solutions' form).
ADAM_FORMS: tuple[dict, ...] = ({}, {"t": 1}, {"folded": True}, {"t": 1, "folded": True})


#: The RMSProp forms the course accepts: epsilon added to the root or under it (dev set:
#: AndersonZhangyq/cs231n-2017, notebook error 9.5e-8 either way).
RMSPROP_FORMS: tuple[dict, ...] = ({}, {"eps_inside": True})


def accepted_starts(rule: str, config: dict) -> list[dict]:
    """The reference configs a rule's steps may follow (Adam: ADAM_FORMS, t only if unset;
    RMSProp: RMSPROP_FORMS)."""
    if rule == "rmsprop":
        return [{**config, **form} for form in RMSPROP_FORMS]
    if rule != "adam":
        return [config]
    return [{**config, **form} for form in ADAM_FORMS if "t" not in form or "t" not in config]
