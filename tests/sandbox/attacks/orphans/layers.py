import os
import time


def spawn_orphan(target, delay):
    """Double fork + setsid; the grandchild closes every fd, waits, then writes `target`."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.closerange(0, 1 << 16)
            time.sleep(delay)
            with open(target, "w") as f:
                f.write("escaped")
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(w)
    grandchild = int(os.read(r, 64))
    os.close(r)
    return grandchild


def spawn_process_group_orphan(target, delay):
    """A child in its own process group that ignores SIGHUP/SIGTERM and keeps its pipes."""
    import signal
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        time.sleep(delay)
        with open(target, "w") as f:
            f.write("escaped")
        os._exit(0)
    return pid
