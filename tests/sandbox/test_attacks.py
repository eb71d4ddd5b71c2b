"""One test per malicious submission: the grader finishes in time, gets the right typed
failure, and nothing (process, file) survives the sandbox (checked by the `tracker` fixture)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import (
    ChannelViolation,
    StudentException,
    StudentImportError,
    StudentMemoryError,
    StudentTimeout,
    UnsupportedValue,
    WorkerDied,
)

from .conftest import FAST, GOOD, IS_ROOT, attack, pid_alive, wait_until


def test_sys_exit_at_import_is_an_import_error(sandbox):
    sb = sandbox(attack("exit_at_import"))
    with pytest.raises(StudentImportError) as info:
        sb.import_module("layers")
    assert info.value.diagnosis == "import-error"
    assert "sys.exit(3)" in info.value.message
    # The worker survived: an import error is not a death.
    assert sb.starts == 1
    sb.ping()


def test_sys_exit_during_a_call_is_a_crash_and_the_next_call_gets_a_fresh_worker(sandbox):
    sb = sandbox(attack("exit_in_call"))
    lin = sb.new("layers", "Linear")
    with pytest.raises(WorkerDied) as info:
        lin.call("forward", np.zeros((2, 2)))
    assert info.value.diagnosis == "crash"
    assert "sys.exit(0)" in info.value.message
    assert "bye" in info.value.output
    lin2 = sb.new("layers", "Linear")  # modules are imported again in the new worker
    assert lin2.call("alive") == "yes"
    assert sb.starts == 2


def test_os_exit_is_a_crash(sandbox):
    sb = sandbox(attack("os_exit"))
    lin = sb.new("layers", "Linear")
    with pytest.raises(WorkerDied) as info:
        lin.call("forward", 1)
    assert info.value.diagnosis == "crash" and info.value.exit_code == 7
    assert sb.call("layers", "ok") == 1


def test_segfault_is_a_crash(sandbox):
    sb = sandbox(attack("segfault"))
    with pytest.raises(WorkerDied) as info:
        sb.call("layers", "crash")
    assert info.value.diagnosis == "crash"
    assert "segmentation fault" in info.value.message


def test_ignored_signals_and_an_endless_loop_time_out(sandbox):
    sb = sandbox(attack("signals_loop"))
    lin = sb.new("layers", "Linear")
    with pytest.raises(StudentTimeout) as info:
        lin.call("forward", 1, timeout_s=0.5)
    assert info.value.diagnosis == "timeout"
    assert "0.5 s" in info.value.message


def test_cpu_time_limit_is_a_timeout_even_with_sigxcpu_ignored(sandbox):
    sb = sandbox(attack("signals_loop"), limits=FAST.replace(cpu_time_s=1, call_timeout_s=20))
    lin = sb.new("layers", "Linear")
    with pytest.raises(StudentTimeout) as info:
        lin.call("forward", 1)
    assert "CPU time" in info.value.message


def test_memory_bombs_hit_the_memory_limit(sandbox):
    sb = sandbox(attack("memory_bomb"))
    for func in ("huge_array", "gradual", "touch_pages"):
        with pytest.raises(StudentMemoryError) as info:
            sb.call("layers", func)
        assert info.value.diagnosis == "memory-limit", func
    # The grader's own process is unaffected and the worker still serves.
    assert np.ones(1000).sum() == 1000
    sb.ping()


def test_stdout_flood_is_bounded_and_the_call_completes(sandbox):
    sb = sandbox(attack("stdout_flood"))
    with sb.limits(call_timeout_s=20):
        assert sb.call("layers", "flood_then_return", 300) == 42
    out = sb.last_output
    assert len(out) < FAST.output_limit_bytes + 100
    assert out.startswith("x" * 100) and "[truncated" in out
    dropped = int(out.rsplit("[truncated ", 1)[1].split()[0])
    assert dropped >= 300 * (1 << 20)  # every byte was drained, none kept


def test_endless_flood_times_out_cleanly(sandbox):
    sb = sandbox(attack("stdout_flood"))
    with pytest.raises(StudentTimeout) as info:
        sb.call("layers", "flood_forever", timeout_s=1.0)
    assert len(info.value.output) < FAST.output_limit_bytes + 100


@pytest.mark.parametrize("func", ["spawn_orphan", "spawn_process_group_orphan"])
def test_orphans_are_killed_when_the_sandbox_closes(sandbox, tmp_path, func):
    target_dir = tmp_path / "outside"
    target_dir.mkdir()
    target_dir.chmod(0o777)  # so only the kill, not the uid drop, stops the write
    tmp_path.chmod(0o755)
    target = target_dir / "escaped.txt"
    sb = sandbox(attack("orphans"))
    orphan = sb.call("layers", func, str(target), 1.0)
    assert pid_alive(orphan)
    sb.close()
    assert wait_until(lambda: not pid_alive(orphan), 2.0), "the orphan outlived the sandbox"
    time.sleep(1.3)
    assert not target.exists()


def test_orphans_are_killed_when_the_worker_times_out(sandbox, tmp_path):
    target_dir = tmp_path / "outside"
    target_dir.mkdir()
    target_dir.chmod(0o777)
    tmp_path.chmod(0o755)
    target = target_dir / "escaped.txt"
    sb = sandbox(attack("orphans"))
    orphan = sb.call("layers", "spawn_orphan", str(target), 1.0)
    sb.restart()
    assert wait_until(lambda: not pid_alive(orphan), 2.0)
    time.sleep(1.3)
    assert not target.exists()


def test_fork_bomb_is_contained_and_swept(sandbox):
    sb = sandbox(attack("fork_bomb"))
    made = sb.call("layers", "bomb", 300)
    if IS_ROOT:
        assert made < 64  # RLIMIT_NPROC of the dedicated uid
    sb.restart()
    sb.ping()


def test_monkeypatched_numpy_stays_in_the_worker(sandbox):
    sb = sandbox(attack("monkeypatch_numpy"))
    sb.import_module("layers")
    assert sb.call("layers", "allclose_in_worker") is True  # the patch works over there...
    x = np.arange(6.0).reshape(2, 3)
    y = sb.call("layers", "forward", x)
    # ...but the codec's own numpy functions were bound before, so data is intact...
    assert type(y) is np.ndarray and y.dtype == np.float64
    assert (y == 2 * x).all()
    # ...and the grader's numpy is untouched.
    assert not np.allclose(1.0, 2.0)
    assert not np.array_equal(np.zeros(2), np.ones(2))
    assert np.float64 is not float
    assert np.asarray([1, 2]).tolist() == [1, 2]


@pytest.mark.parametrize("func,diagnosis", [
    ("subclass", "tampering"),
    ("matrix", "tampering"),
    ("masked", "tampering"),
    ("nested_subclass", "tampering"),
    ("array_like", "tampering"),
    ("float_subclass", "tampering"),
    ("object_array", "dtype"),
    ("float128", "dtype"),
    ("complex_array", "dtype"),
    ("complex_scalar", "dtype"),
    ("python_complex", "dtype"),
    ("string_array", "dtype"),
    ("cycle", "tampering"),
    ("big_int", "tampering"),
    ("non_str_keys", "tampering"),
])
def test_odd_return_values_are_typed_failures(sandbox, func, diagnosis):
    sb = sandbox(attack("odd_returns"))
    with pytest.raises(UnsupportedValue) as info:
        sb.call("layers", func)
    assert info.value.diagnosis == diagnosis
    # The worker keeps serving after refusing a value.
    assert sb.call("layers", "fine").tolist() == [0.0, 1.0, 2.0]
    assert sb.starts == 1


@pytest.mark.parametrize("name", ["forbidden_grader", "forbidden_reference"])
def test_importing_the_grader_or_the_reference_is_forbidden(sandbox, name):
    sb = sandbox(attack(name))
    with pytest.raises(StudentImportError) as info:
        sb.import_module("layers")
    assert info.value.diagnosis == "forbidden-import"


def test_forbidden_libraries(sandbox):
    sb = sandbox(attack("forbidden_torch"))
    sb.import_module("layers")  # a caught ImportError is an honest fallback
    assert sb.call("layers", "has_torch") is False
    with pytest.raises(StudentImportError) as info:
        sb.import_module("network")
    assert info.value.diagnosis == "forbidden-import" and "torch" in info.value.message
    with pytest.raises(StudentException) as info2:
        sb.call("layers", "late_import")
    assert info2.value.diagnosis == "forbidden-import" and "jax" in info2.value.message
    with pytest.raises(StudentException) as info3:
        sb.call("layers", "sneaky_grader")
    assert info3.value.diagnosis == "forbidden-import"
    assert sb.call("layers", "sys_modules_grader") == []


def test_syntax_error_in_optim_only_breaks_optim(sandbox):
    sb = sandbox(attack("syntax_error_optim"))
    with pytest.raises(StudentImportError) as info:
        sb.import_module("optim")
    assert info.value.diagnosis == "import-error"
    assert info.value.exc_type == "SyntaxError"
    assert "optim.py" in info.value.traceback and "/tmp" not in info.value.traceback
    lin = sb.new("layers", "Linear", 3, 5)
    assert lin.get("shape") == [3, 5]
    with pytest.raises(StudentImportError):
        sb.new("optim", "SGD", [])


def test_fake_frames_on_stdout_change_nothing(sandbox):
    sb = sandbox(attack("fake_output"))
    assert sb.call("layers", "forge") == 5
    assert '"score": 100' in sb.last_output
    sb.ping()


def test_junk_written_to_the_channel_is_a_violation(sandbox):
    sb = sandbox(attack("channel_forgery"))
    with pytest.raises(ChannelViolation) as info:
        sb.call("layers", "forge")
    assert info.value.diagnosis == "tampering"
    assert sb.starts == 1
    sb.ping()  # a fresh worker
    assert sb.starts == 2


@pytest.mark.skipif(not IS_ROOT, reason="uid drop and namespaces need root")
def test_worker_cannot_touch_the_grader_or_the_network(sandbox, tmp_path):
    import grader

    sb = sandbox(attack("escape"))
    me = sb.call("layers", "whoami")
    assert me["uid"] == sb.sandbox_uid and me["groups"] == []
    assert set(me["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "OPENBLAS_NUM_THREADS",
                              "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                              "NUMEXPR_NUM_THREADS"}
    grader_init = Path(grader.__file__)
    before = grader_init.read_bytes()
    assert sb.call("layers", "write_file", str(grader_init)) != "wrote"
    assert grader_init.read_bytes() == before
    assert sb.call("layers", "listdir", str(grader_init.parent)) in ([], "PermissionError")
    own = tmp_path / "grader_owned.txt"
    own.write_text("mine")
    os.chmod(own, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    assert sb.call("layers", "write_file", str(own)) == "PermissionError"
    assert sb.call("layers", "connect", "127.0.0.1", 22) != "connected"
    assert sb.call("layers", "read_reference") != "imported"
    assert "network" in sb.protections and sb.protections["uid"].startswith("runs as uid")


def test_good_submission_after_attacks_in_same_process(sandbox):
    sb = sandbox(GOOD)
    lin = sb.new("layers", "Linear", 3, 2)
    assert lin.call("forward", np.ones((4, 3))).shape == (4, 2)


GRADER_SCRIPT = """
import sys, time
from grader.sandbox import Sandbox, Limits
sb = Sandbox(sys.argv[1], limits=Limits(call_timeout_s=5))
orphan = sb.call("layers", "spawn_orphan", sys.argv[2], 1.0)
print(sb.worker_pid, orphan, sb.workdir, flush=True)
time.sleep(60)
"""


def test_a_killed_grader_takes_the_worker_and_its_orphans_along(tmp_path):
    import signal
    import subprocess
    import sys

    target_dir = tmp_path / "outside"
    target_dir.mkdir()
    target_dir.chmod(0o777)
    tmp_path.chmod(0o755)
    target = target_dir / "escaped.txt"
    grader_proc = subprocess.Popen([sys.executable, "-c", GRADER_SCRIPT, str(attack("orphans")), str(target)],
                                   stdout=subprocess.PIPE, text=True)
    try:
        worker, orphan, workdir = grader_proc.stdout.readline().split()
        grader_proc.send_signal(signal.SIGKILL)
        grader_proc.wait()
        assert wait_until(lambda: not pid_alive(int(worker)) and not pid_alive(int(orphan)), 3.0)
        assert wait_until(lambda: not Path(workdir).exists(), 3.0)
        time.sleep(1.2)
        assert not target.exists()
    finally:
        grader_proc.kill()
        grader_proc.wait()
