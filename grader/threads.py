"""One BLAS thread in every grading process, unless the user set otherwise.

The grader's own arrays are small (a check's examples, a 784-64-10 reference) and a run has
two check sessions and their sandbox workers on the machine's cores: a second BLAS thread
in each grader process only spins. OpenBLAS starts its threads when NumPy is imported (the
spinning alone cost ~0.1 s of CPU there) and reads its setting only then, so the command
line sets it before anything imports NumPy (`grader.cli`); the batch sets it for each
grading process it starts (`grader.grading.grading_env`). The sandbox's workers always run
with one (`grader.sandbox.staging`). A value the user set is kept.
"""

from __future__ import annotations

from typing import MutableMapping

#: The variables BLAS libraries (and NumExpr) read their thread count from.
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def one_blas_thread(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """`env` with each BLAS thread variable the user left unset set to 1 (in place)."""
    for var in BLAS_THREAD_VARS:
        env.setdefault(var, "1")
    return env
