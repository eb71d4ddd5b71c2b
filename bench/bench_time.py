"""Bounded grading time under the default rubric: what a hang, a slow function, a flood, a
memory blow-up or a slow import costs, next to the correct reference graded in the same run.

    python bench/bench_time.py [--only NAME ...]

Each case is the reference with one edit, graded by `grader run` (and `grader check` for the
slow import) as a real process. Prints wall time, score, the checks that lost points and
whether every check that does not use the culprit kept its points, then the targets:

  endless loop in ReLU.forward / Linear.backward / SGD.step / train   <= 60 s
  3 s sleep per call of ReLU.forward                                  <= 120 s
  200 MB printed per call of Tanh.forward                             <= 60 s
  the memory limit hit in Tanh.forward                                <= 30 s
  10 s sleep at import of layers.py, run and check                    <= 60 s each, same verdicts
  run_timeout_s = 20 on the endless ReLU.forward                      exit <= 25 s, every format
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from grading_helpers import make_submission  # noqa: E402

RELU_FORWARD = "    def forward(self, x: np.ndarray) -> np.ndarray:\n        self._mask = x > 0"
TANH_BODY = "        self._out = np.tanh(x)"
LINEAR_DOC = '        """grad_out: (N, out_features) -> (N, in_features); sets dW (in, out) and db (out,)."""'
STEP = "    def step(self) -> None:\n"
TRAIN_BODY = "    rng = rng if rng is not None else np.random.default_rng()\n    loss_fn = SoftmaxCrossEntropy()"
ENDLESS = "        while True:\n            pass\n"


def at_relu(code: str) -> tuple[str, str]:
    return RELU_FORWARD, RELU_FORWARD.replace("\n        self._mask", "\n" + code + "        self._mask")


@dataclass
class Case:
    name: str
    edits: dict[str, list[tuple[str, str]]]
    target_s: float
    culprit: set[str]                       # components allowed to lose points
    command: str = "run"
    limits: dict[str, float] = field(default_factory=dict)


CASES = [
    Case("reference", {}, 30, set()),
    Case("endless ReLU.forward", {"layers.py": [at_relu(ENDLESS)]}, 60, {"relu", "mlp", "training",
                                                                          "performance", "api"}),
    Case("endless Linear.backward", {"layers.py": [(LINEAR_DOC, LINEAR_DOC + "\n" + ENDLESS)]}, 60,
         {"linear", "mlp", "sgd", "training", "performance", "api"}),
    Case("endless SGD.step", {"optim.py": [(STEP, STEP + ENDLESS)]}, 60,
         {"sgd", "training", "performance", "api"}),
    Case("endless train", {"network.py": [(TRAIN_BODY, "    while True:\n        pass\n" + TRAIN_BODY)]}, 60,
         {"training", "performance", "api"}),
    Case("3 s sleep per ReLU.forward", {"layers.py": [at_relu("        __import__('time').sleep(3)\n")]}, 120,
         {"relu", "mlp", "training", "performance", "api"}),
    Case("200 MB printed per Tanh.forward", {"layers.py": [(TANH_BODY, "        for _ in range(200):\n"
                                                            "            print('x' * 1_000_000)\n" + TANH_BODY)]},
         60, set()),
    Case("memory limit in Tanh.forward", {"layers.py": [(TANH_BODY, "        hog = []\n        while True:\n"
                                                         "            hog.append(np.ones(1 << 20))\n" + TANH_BODY)]},
         30, {"tanh", "mlp", "training", "performance"}),
    Case("10 s sleep at import (run)", {"layers.py": [("import numpy as np\n",
                                                      "import numpy as np\nimport time\ntime.sleep(10)\n")]}, 60, set()),
    Case("10 s sleep at import (check)", {"layers.py": [("import numpy as np\n",
                                                        "import numpy as np\nimport time\ntime.sleep(10)\n")]}, 60,
         set(), command="check"),
]
FORMATS = ("json", "junit", "markdown", "text", "html")


def rubric_with(limits: dict[str, float], work: Path) -> str:
    """The default rubric with some [limits] replaced, as a file (line edits keep its comments)."""
    text = (REPO / "rubrics" / "default.toml").read_text()
    for key, value in limits.items():
        lines = [line for line in text.splitlines() if line.startswith(f"{key} =")]
        text = text.replace(lines[0], f"{key} = {value}")
    path = work / "rubric.toml"
    path.write_text(text)
    return str(path)


def run(case: Case, sub: Path, work: Path, fmt: str = "json", rubric: str | None = None) -> dict[str, Any]:
    out = work / f"{case.name.replace(' ', '_')}.{fmt}"
    args = (["run", str(sub), "--format", fmt, "--output", str(out)] if case.command == "run"
            else ["check", str(sub)])
    if rubric:
        args += ["--rubric", rubric]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=work)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "code": proc.returncode, "stdout": proc.stdout,
            "report": out.read_text() if out.exists() else "", "stderr": proc.stderr}


def verdicts(report: str) -> tuple[float, dict[str, tuple[str, float, float]]]:
    data = json.loads(report)
    return data["score"], {t["name"]: (t["tags"][0], t["score"], t["max_score"]) for t in data["tests"]}


def check_statuses(stdout: str) -> dict[str, str]:
    """`grader check`'s text report: PASS/FAIL per check name."""
    found = {}
    for line in stdout.splitlines():
        words = line.replace("│", " ").split()
        for status in ("PASS", "FAIL"):
            if status in words:
                names = [w for w in words if "::" in w]
                if names:
                    found[names[0]] = status
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="case names (substrings) to run")
    args = parser.parse_args()
    cases = [c for c in CASES if args.only is None or any(o in c.name for o in args.only)]
    missed = []
    load = os.getloadavg()[0]
    print(f"bounded grading time, default rubric, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"{'case':34} {'wall s':>7} {'target':>7} {'score':>7}  other checks intact / lost to")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run_verdicts: dict[str, str] = {}
        for case in cases:
            sub = make_submission(work / case.name.replace(" ", "_"), case.edits)
            outcome = run(case, sub, work)
            if case.command == "check":
                score = float("nan")
                statuses = check_statuses(outcome["stdout"])
                shared = {n: s for n, s in statuses.items() if n in run_verdicts}
                same = all(run_verdicts[n] == s for n, s in shared.items())
                detail = f"{len(shared)} checks shared with the run, verdicts {'the same' if same else 'DIFFER'}"
                ok = same and outcome["code"] == 0
            else:
                score, tests = verdicts(outcome["report"])
                lost = sorted({tag for tag, got, most in tests.values() if got < most - 1e-9})
                intact = all(got >= most - 1e-9 for tag, got, most in tests.values() if tag not in case.culprit)
                detail = f"{'yes' if intact else 'NO'} / {', '.join(lost) or '-'}"
                ok = intact and outcome["code"] == 0
                if "import" in case.name:
                    run_verdicts = {n: ("PASS" if got >= most - 1e-9 else "FAIL") for n, (_, got, most) in tests.items()}
            ok = ok and outcome["seconds"] <= case.target_s
            print(f"{case.name:34} {outcome['seconds']:7.1f} {case.target_s:7.0f} {score:7.1f}  {detail}"
                  f"{'' if ok else '   <- MISSED'}")
            if not ok:
                missed.append(case.name)
        if args.only is None or any("deadline" in o for o in args.only):
            case = Case("run_timeout_s=20, endless ReLU", {"layers.py": [at_relu(ENDLESS)]}, 25, set(),
                        limits={"run_timeout_s": 20.0, "call_timeout_s": 60.0})
            sub = make_submission(work / "deadline", case.edits)
            rubric = rubric_with(case.limits, work)
            for fmt in FORMATS:
                outcome = run(case, sub, work, fmt=fmt, rubric=rubric)
                ok = outcome["seconds"] <= case.target_s and outcome["code"] == 0 and bool(outcome["report"])
                print(f"{'deadline 20 s, --format ' + fmt:34} {outcome['seconds']:7.1f} {case.target_s:7.0f} "
                      f"{'':7}  report {len(outcome['report'])} chars{'' if ok else '   <- MISSED'}")
                if not ok:
                    missed.append(f"deadline {fmt}")
    if missed:
        print("missed:", ", ".join(missed))
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
