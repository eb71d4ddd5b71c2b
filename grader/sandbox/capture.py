"""Reading what the worker sends back: reply frames, the student's output, a stack dump.

Grader side, used by process.py (WorkerProcess) and engine.py (student_frames).
"""

from __future__ import annotations

import os
import re

from . import channel

# What faulthandler writes before the stack of the worker's thread.
STACK_HEADER = "Stack (most recent call first):"
# The dump's last line: the outermost frame (the supervisor's module), or faulthandler's
# "  ..." when the stack is deeper than it prints.
_STACK_END = re.compile(rb'supervisor\.py", line \d+ in <module>\n|\n  \.\.\.\n')


class OutputCapture:
    """The first `limit` bytes of the student's output during one call; counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.kept = 0
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self.limit - self.kept
        if room > 0:
            piece = data[:room]
            self.chunks.append(piece)
            self.kept += len(piece)
        self.dropped += max(0, len(data) - max(room, 0))

    def text(self) -> str:
        text = b"".join(self.chunks).decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[truncated {self.dropped} bytes]"
        return text


class _FrameReader:
    """Assembles one frame from a non-blocking fd without extra copies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.head = bytearray(channel.FRAME_HEAD_SIZE)
        self.payload: bytearray | None = None
        self.got = 0

    def read(self, fd: int) -> bool:
        """Read what is available; True once the frame is complete. EOFError at EOF."""
        while True:
            buf = self.head if self.payload is None else self.payload
            if self.got == len(buf):
                if self.payload is not None:
                    return True
                length = channel.parse_frame_head(bytes(self.head), self.max_bytes)
                self.payload, self.got = bytearray(length), 0
                continue
            try:
                n = os.readv(fd, [memoryview(buf)[self.got:]])
            except BlockingIOError:
                return False
            if n == 0:
                raise EOFError
            self.got += n


_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def student_frames(stack: str, src_dir: str) -> list[str]:
    """'layers.py line 61 in forward' for each frame of the student's files, innermost first."""
    prefix = src_dir.rstrip(os.sep) + os.sep
    return [f"{path[len(prefix):]} line {line} in {func}" for path, line, func in _FRAME.findall(stack)
            if path.startswith(prefix)]
