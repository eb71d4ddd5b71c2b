"""The argument watch: a call's top-level argument arrays compared before and after it, so
the grader learns which ones the student's code changed in place (input mutation).
Runs inside the worker (loaded by path, like worker.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray
# Arrays bigger than this are not watched (their copy would stay in the worker's memory).
MAX_WATCHED_BYTES = 1 << 24


def array_arguments(req: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(position or keyword, array) for each top-level plain ndarray argument of a request."""
    found: list[tuple[Any, Any]] = []
    args, kwargs = req.get("args"), req.get("kwargs")
    if type(args) is list:
        found += [(i, a) for i, a in enumerate(args) if type(a) is _ndarray]
    if type(kwargs) is dict:
        found += [(k, a) for k, a in kwargs.items() if type(a) is _ndarray]
    return found


class ArgumentWatch:
    """The argument arrays' bytes before a call, compared after it (input mutation).

    The copies go to one scratch buffer kept for the worker's life and the comparison runs
    in blocks, so a call allocates nothing big: a fresh 800 KB copy per call cost ~1 ms in
    the sandboxed worker (page faults), the reused buffer a fraction of it.
    """

    BLOCK = 1 << 16  # bytes compared per step: small temporaries, from the heap

    def __init__(self) -> None:
        self.scratch = np.empty(0, dtype=np.uint8)

    def snapshot(self, req: dict[str, Any]) -> list[tuple[Any, Any, tuple[int, ...], Any]]:
        arrays = [(key, a) for key, a in array_arguments(req)
                  if a.nbytes <= MAX_WATCHED_BYTES and a.flags.c_contiguous and a.dtype.hasobject is False]
        total = sum(a.nbytes for _, a in arrays)
        if total > self.scratch.size:
            self.scratch = np.empty(total, dtype=np.uint8)
        taken, offset = [], 0
        for key, a in arrays:
            copy = self.scratch[offset:offset + a.nbytes]
            copy[...] = a.reshape(-1).view(np.uint8)
            taken.append((key, a, a.shape, copy))
            offset += a.nbytes
        return taken

    def changed(self, taken: list[tuple[Any, Any, tuple[int, ...], Any]]) -> list[Any]:
        """The positions / keywords of the arguments whose arrays the call changed in place."""
        found = []
        for key, a, shape, before in taken:
            try:
                if a.shape != shape or not self._same(a.reshape(-1).view(np.uint8), before):
                    found.append(key)
            except BaseException:  # resized into something unreadable: changed all the same
                found.append(key)
        return found

    def _same(self, now: Any, before: Any) -> bool:
        if now.size != before.size:
            return False
        for start in range(0, now.size, self.BLOCK):
            stop = start + self.BLOCK
            if (now[start:stop] != before[start:stop]).any():
                return False
        return True
