"""Resource limits of a sandboxed worker."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Limits applied to the student's worker.

    call_timeout_s, output_limit_bytes: per call, may be changed per call.
    import_timeout_s: importing one student module, on its own clock (a slow
    import is never charged to the call that happened to trigger it).
    function_budget_s: the wall time one function may use over all its calls
    made under the default call limit; past it, later calls fail at once.
    output_budget_bytes: student output read over the Sandbox's life; past it
    the worker writes its stdout and stderr to /dev/null.
    memory_mb (RLIMIT_AS), cpu_time_s (RLIMIT_CPU, whole worker life),
    start_timeout_s: per worker, fixed when it starts.
    512 MiB of address space holds Python + NumPy + OpenBLAS (one thread,
    ~160 MiB peak measured) and a 784x128 MLP trained on a few thousand
    samples, well under Gradescope's 768 MB.
    """

    call_timeout_s: float = 10.0
    import_timeout_s: float = 20.0
    function_budget_s: float = 30.0
    memory_mb: int = 512
    cpu_time_s: float = 120
    output_limit_bytes: int = 8192
    output_budget_bytes: int = 4 << 20
    start_timeout_s: float = 10.0
    # Largest message the worker may send back; a bigger one is a ChannelViolation.
    max_message_bytes: int = 128 << 20
    # Per-worker process count (RLIMIT_NPROC); only enforced with a dedicated uid,
    # since without one it would count every process of the grader's user.
    max_processes: int = 64
    # Largest file the worker may write (RLIMIT_FSIZE).
    max_file_bytes: int = 64 << 20

    def replace(self, **changes: float | int) -> "Limits":
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
