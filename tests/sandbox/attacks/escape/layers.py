import os
import socket


def write_file(path):
    try:
        with open(path, "a") as f:
            f.write("tampered")
        return "wrote"
    except OSError as exc:
        return type(exc).__name__


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__


def connect(host, port):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect((host, port))
        return "connected"
    except OSError as exc:
        return type(exc).__name__
    finally:
        s.close()


def whoami():
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(),
            "home": os.environ.get("HOME"), "env": sorted(os.environ)}


def read_reference():
    try:
        import importlib.util
        import sys
        sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "ImportGuard"]
        import reference  # noqa: F401
        return "imported"
    except ImportError as exc:
        return type(exc).__name__
