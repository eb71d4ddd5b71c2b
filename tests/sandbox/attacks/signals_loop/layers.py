import signal


class Linear:
    def __init__(self, *a, **k):
        pass

    def forward(self, x):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
