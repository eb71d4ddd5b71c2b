"""The first-run report (grader/firstrun.py): what to implement first, in the handout's
order, when nothing is implemented yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.reports.sanitize import clean_line
from grader.reports.view import ComponentView, ReportView


# -- the first run: nothing implemented yet (grader.firstrun) ----------------------------
FIRST_RUN_HEADING = "Nothing is implemented yet"
FIRST_RUN_INTRO = ("Every function of the assignment still raises NotImplementedError (the template's "
                   "stubs), so no check could look at your code yet. Implement them in this order, "
                   "the handout's, and run the checks again after each one:")
FIRST_RUN_HANDOUT_INTRO = ("Every function the handout asks you to write is still its stub (it "
                           "returns None or NotImplemented, or is not there yet), so no check could "
                           "look at your code yet. Write them in this order, the handout's, and run "
                           "the checks again after each one:")
FIRST_RUN_CHECKS = ("What the checks will look at: each function against a reference on random "
                    "shapes and inputs (every backward against numerical gradients), then your "
                    "network trained on MNIST. Points per part:")
FIRST_RUN_PER_CHECK = "Not implemented yet: see the first steps at the top of the report."


@dataclass(frozen=True)
class FirstRunView:
    """What to implement first: (file, the stubs in it in order, whether the file is missing),
    in the handout's order; and the parts the checks grade, with their points."""

    steps: list[tuple[str, list[str], bool]]
    components: list[ComponentView]
    intro: str = FIRST_RUN_INTRO

    def step_lines(self) -> list[str]:
        """"1. layers.py: Linear.__init__, Linear.forward, ... (start here)", one per file."""
        lines = []
        for i, (file, todo, missing) in enumerate(self.steps, 1):
            what = "the file is missing: create it" if missing else ", ".join(todo)
            lines.append(f"{i}. {file}: {what}" + (" (start here)" if i == 1 else ""))
        return lines

    def component_lines(self) -> list[str]:
        return [f"{c.tag}: {c.max_score:.2f} points, {c.total} check{'s' if c.total != 1 else ''}"
                for c in self.components]


def first_run(view: ReportView) -> FirstRunView | None:
    """The first-run report's content when nothing is implemented yet (and every check shown
    failed as missing), else None."""
    data = view.artifacts.get("first_run")
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or view.grader_error:
        return None
    if not view.attention:
        return None
    # A handout's stubs run (returning None), so its checks fail with shape errors: the source
    # said nothing is written (grader.firstrun.handout_steps), and the given code's checks pass.
    handout = data.get("form") == "handout"
    if not handout and (any(c.passed and "api" not in c.tags for c in view.shown)
                        or any(d.id != "missing-api" for c in view.attention for d in c.diagnoses)):
        return None
    steps = []
    for step in data["steps"][:40]:
        if isinstance(step, dict):
            todo = [clean_line(t, 80) for t in (step.get("todo") or [])[:60]]
            steps.append((clean_line(step.get("file", ""), 120) or "?", todo, bool(step.get("missing"))))
    return FirstRunView(steps, [c for c in view.components if c.max_score > 0],
                        FIRST_RUN_HANDOUT_INTRO if handout else FIRST_RUN_INTRO)


def lists_beyond(view: ReportView) -> bool:
    """Whether a report lists the checks beyond the course's own tests. Not on a first run:
    with nothing implemented yet they fail only for that, and the first-run report already
    says what to implement."""
    return bool(view.beyond) and first_run(view) is None


def first_run_text(first: FirstRunView) -> str:
    """The first-run report as plain text (JUnit, and a fallback for any writer)."""
    return "\n".join([f"{FIRST_RUN_HEADING}.", first.intro, *first.step_lines(), "",
                      FIRST_RUN_CHECKS, *(f"  {line}" for line in first.component_lines())])
