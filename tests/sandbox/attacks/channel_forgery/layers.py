import os


def forge():
    """Write junk to every pipe the process holds except stdout/stderr."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.write(fd, b"\x80\x04junk" * 10)
        except OSError:
            pass
    return 1
