"""A sandbox uid stays leased until its supervisor has swept it: a grading process killed with
its sandbox running (a batch's time-out) must not free the uid while that sandbox's supervisor
can still run, or sweep away the worker of the next grading to lease it."""

from __future__ import annotations

import pytest

from grader.sandbox import procs
from grader.sandbox.staging import UidLease

from .conftest import GOOD, IS_ROOT, pid_alive, wait_until


@pytest.mark.skipif(not IS_ROOT, reason="the worker runs as a leased uid only when the grader is root")
def test_a_uid_stays_leased_while_its_supervisor_runs(sandbox):
    sb = sandbox(GOOD)
    uid = sb.sandbox_uid
    assert uid is not None and sb._lease is not None
    # The grader's own hold goes, as when its process is killed: the supervisor's remains.
    sb._lease.release()
    other = UidLease()
    try:
        assert other.uid != uid
    finally:
        other.release()
    supervisor = sb._worker.supervisor_pid
    sb.stop()  # the supervisor sweeps the uid and exits: then the uid is free again
    assert wait_until(lambda: not pid_alive(supervisor))
    again = UidLease()
    try:
        assert again.uid == uid or not procs.of_uid(uid)
    finally:
        again.release()
