"""A Dask LocalCluster of two worker processes in its own process, for tests/cli/test_cli_dask.py.

Prints the scheduler's address, then runs until its stdin is closed. Kept out
of the pytest process because Dask's worker processes leave a multiprocessing
helper behind there, which the sandbox tests would count as a leaked child.
"""

from __future__ import annotations

import sys

from dask.distributed import LocalCluster

if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()
