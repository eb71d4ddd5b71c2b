"""Messages between the grader and the worker: framing and a plain-data codec.

A frame on the pipe is `MAGIC (4 bytes) | payload length (8 bytes, big endian)
| payload`. A payload is `header length (4 bytes) | JSON header | zero padding
to 8 | array buffers`, each buffer padded to 8 bytes so arrays decode aligned.

The JSON header holds only plain data. Values JSON cannot say are tagged
objects with the key "__t__":
  {"__t__": "nd", "dtype": "<f8", "shape": [2, 3], "s": 0|1}  next buffer (s: numpy scalar)
  {"__t__": "rng", "seed": 7}                               np.random.default_rng(7)
  {"__t__": "h", "id": 3, "type": "Linear"}                 an object in the worker's table
  {"__t__": "dict", "items": [[k, v], ...]}                 a dict that itself has a "__t__" key
Nothing is pickled or evaluated: decoding builds only None, bool, int, float,
str, list, dict, plain ndarrays / numpy scalars of whitelisted dtypes, and
whatever the caller's hooks make of Rng and Handle markers. Anything else is
a `ChannelViolation`.

This module is loaded by path inside the worker too, so it imports only the
stdlib, numpy and `errors`.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

try:
    from .errors import ChannelViolation
except ImportError:  # loaded by path inside the worker, outside the grader package
    from _sandbox_errors import ChannelViolation  # type: ignore[no-redef]

MAGIC = b"GSB1"
_FRAME_HEAD = struct.Struct(">4sQ")
_JSON_LEN = struct.Struct(">I")
FRAME_HEAD_SIZE = _FRAME_HEAD.size
MAX_DEPTH = 64
MAX_ARRAYS = 4096
MAX_NDIM = 32
MAX_HEADER_BYTES = 16 << 20
_ALIGN = 8

# dtype.str of every array that may cross the channel (native little endian on
# the platforms the grader runs on; the encoder converts byte order first).
DTYPE_WHITELIST: frozenset[str] = frozenset(
    np.dtype(t).newbyteorder("<").str
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
              np.uint32, np.uint64, np.float16, np.float32, np.float64)
)

# Bound once: student code running in the worker may monkeypatch numpy, and the
# codec must keep building the bytes it means to build.
_np_ndarray = np.ndarray
_np_generic = np.generic
_frombuffer = np.frombuffer
_ascontiguousarray = np.ascontiguousarray
_asarray = np.asarray
_np_dtype = np.dtype
_json_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode
_json_decoder_cls = json.JSONDecoder


@dataclass(frozen=True)
class Rng:
    """Grader -> worker: the worker passes `np.random.default_rng(seed)` in its place."""

    seed: int

    def __post_init__(self) -> None:
        if type(self.seed) is not int or self.seed < 0:
            raise TypeError(f"Rng seed must be a non-negative int, got {self.seed!r}")


@dataclass(frozen=True)
class Handle:
    """A reference to an object kept in the worker's object table."""

    id: int
    type_name: str


class EncodeError(TypeError):
    """A value that may not cross the channel; `diagnosis` says why (dtype / tampering)."""

    def __init__(self, message: str, diagnosis: str = "tampering") -> None:
        super().__init__(message)
        self.diagnosis = diagnosis


# ---------------------------------------------------------------- encoding

class _Encoder:
    """Turns a value into a JSON-able tree plus a list of array buffers."""

    def __init__(self, default: Callable[[Any], Any] | None) -> None:
        self.default = default
        self.buffers: list[np.ndarray] = []

    def walk(self, obj: Any, depth: int) -> Any:
        t = type(obj)
        if obj is None or t is bool or t is str:
            return obj
        if t is int:
            return obj
        if t is float:
            return obj
        if depth > MAX_DEPTH:
            raise EncodeError(f"value nested deeper than {MAX_DEPTH} levels (a cycle?)")
        if t is list or t is tuple:
            return [self.walk(v, depth + 1) for v in obj]
        if t is dict:
            for k in obj:
                if type(k) is not str:
                    raise EncodeError(f"dict key {type(k).__name__} is not a str")
            if "__t__" in obj:
                return {"__t__": "dict", "items": [[k, self.walk(v, depth + 1)] for k, v in obj.items()]}
            return {k: self.walk(v, depth + 1) for k, v in obj.items()}
        if t is _np_ndarray:
            return self.array(obj, scalar=False)
        if isinstance(obj, _np_generic):
            if isinstance(obj, str):  # np.str_ is a str subclass
                return str(obj)
            return self.array(_asarray(obj), scalar=True)
        if t is Rng:
            return {"__t__": "rng", "seed": obj.seed}
        if t is Handle:
            return {"__t__": "h", "id": obj.id, "type": obj.type_name}
        if self.default is not None:
            replacement = self.default(obj)
            if type(replacement) is Handle:
                return {"__t__": "h", "id": replacement.id, "type": replacement.type_name}
            return self.walk(replacement, depth + 1)
        raise EncodeError(f"cannot send a value of type {t.__module__}.{t.__qualname__}")

    def array(self, arr: np.ndarray, scalar: bool) -> dict[str, Any]:
        dt = arr.dtype
        if dt.byteorder not in ("=", "|", "<"):
            dt = dt.newbyteorder("<")
            arr = arr.astype(dt)
        if dt.str not in DTYPE_WHITELIST:
            raise EncodeError(f"arrays of dtype {dt} cannot be graded; use float64", "dtype")
        if len(self.buffers) >= MAX_ARRAYS:
            raise EncodeError(f"more than {MAX_ARRAYS} arrays in one message")
        self.buffers.append(_ascontiguousarray(arr))
        return {"__t__": "nd", "dtype": dt.str, "shape": list(arr.shape), "s": int(scalar)}


def _pad(n: int) -> int:
    return -n % _ALIGN


_ZEROS = bytes(_ALIGN)


def encode(obj: Any, default: Callable[[Any], Any] | None = None) -> list[bytes | memoryview]:
    """Encode `obj` into the buffers of one frame (frame head included).

    `default(obj)` is called for any value that is not plain data and must
    return a replacement (typically a Handle) or raise EncodeError.
    """
    enc = _Encoder(default)
    try:
        tree = enc.walk(obj, 0)
        header = _json_dumps(tree).encode("utf-8", "surrogatepass")
    except EncodeError:
        raise
    except (ValueError, RecursionError, UnicodeError, OverflowError) as exc:
        raise EncodeError(f"cannot encode value: {exc}") from None
    parts: list[bytes | memoryview] = [b"", _JSON_LEN.pack(len(header)), header]
    size = _JSON_LEN.size + len(header)
    parts.append(_ZEROS[: _pad(size)])
    size += _pad(size)
    for arr in enc.buffers:
        mv = memoryview(arr).cast("B") if arr.nbytes else memoryview(b"")  # type: ignore[arg-type]
        parts.append(mv)
        size += arr.nbytes
        pad = _pad(size)
        if pad:
            parts.append(_ZEROS[:pad])
            size += pad
    parts[0] = _FRAME_HEAD.pack(MAGIC, size)
    return parts


# ---------------------------------------------------------------- decoding

def parse_frame_head(head: bytes, max_bytes: int) -> int:
    """The payload length announced by a frame head; a ChannelViolation if malformed."""
    if len(head) != FRAME_HEAD_SIZE:
        raise ChannelViolation("truncated message header from the worker")
    magic, length = _FRAME_HEAD.unpack(head)
    if magic != MAGIC:
        raise ChannelViolation("malformed message from the worker (bad frame marker)")
    if length > max_bytes:
        raise ChannelViolation(
            f"the worker sent a {length}-byte message, over the {max_bytes}-byte limit")
    if length < _JSON_LEN.size:
        raise ChannelViolation("malformed message from the worker (empty frame)")
    return length


def decode(
    payload: bytes | bytearray | memoryview,
    *,
    on_handle: Callable[[int, str], Any] | None = None,
    on_rng: Callable[[int], Any] | None = None,
    copy_arrays: bool = True,
) -> Any:
    """Decode one frame payload (everything after the frame head).

    Arrays come out as fresh, writeable, C-contiguous base-class ndarrays when
    `copy_arrays` (else views on `payload`, which must then be a bytearray).
    Anything unexpected raises ChannelViolation.
    """
    try:
        return _decode(payload, on_handle, on_rng, copy_arrays)
    except ChannelViolation:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError,
            UnicodeError, MemoryError, struct.error) as exc:
        raise ChannelViolation(f"malformed message from the worker ({type(exc).__name__}: {exc})") from None


def _decode(payload: Any, on_handle: Callable[[int, str], Any] | None,
            on_rng: Callable[[int], Any] | None, copy_arrays: bool) -> Any:
    view = memoryview(payload)
    total = len(view)
    (hlen,) = _JSON_LEN.unpack_from(view, 0)
    if hlen > MAX_HEADER_BYTES or _JSON_LEN.size + hlen > total:
        raise ChannelViolation("malformed message from the worker (bad header length)")
    header = bytes(view[_JSON_LEN.size: _JSON_LEN.size + hlen]).decode("utf-8")
    offset = _JSON_LEN.size + hlen
    offset += _pad(offset)
    state = {"offset": offset, "count": 0}

    def array(d: dict[str, Any]) -> Any:
        dtype_str, shape, scalar = d["dtype"], d["shape"], d["s"]
        if type(dtype_str) is not str or dtype_str not in DTYPE_WHITELIST:
            raise ChannelViolation(f"the worker sent an array of forbidden dtype {dtype_str!r}")
        if (type(shape) is not list or len(shape) > MAX_NDIM
                or any(type(n) is not int or n < 0 for n in shape)):
            raise ChannelViolation("the worker sent an array with a malformed shape")
        if scalar not in (0, 1) or type(scalar) is not int or (scalar and shape):
            raise ChannelViolation("the worker sent a malformed numpy scalar")
        state["count"] += 1
        if state["count"] > MAX_ARRAYS:
            raise ChannelViolation("the worker sent too many arrays")
        dt = _np_dtype(dtype_str)
        count = math.prod(shape)
        nbytes = count * dt.itemsize
        start = state["offset"]
        if start + nbytes > total:
            raise ChannelViolation("the worker sent an array longer than its message")
        arr = _frombuffer(view, dtype=dt, count=count, offset=start).reshape(shape)
        if copy_arrays:
            arr = arr.copy()
        state["offset"] = start + nbytes + _pad(nbytes)
        return arr[()] if scalar else arr

    def hook(d: dict[str, Any]) -> Any:
        tag = d.get("__t__")
        if tag is None:
            return d
        if len(d) > 5:
            raise ChannelViolation("malformed tagged value from the worker")
        if tag == "nd":
            return array(d)
        if tag == "h":
            hid, type_name = d["id"], d["type"]
            if type(hid) is not int or type(type_name) is not str or on_handle is None:
                raise ChannelViolation("the worker sent an unexpected object reference")
            return on_handle(hid, type_name)
        if tag == "rng":
            seed = d["seed"]
            if type(seed) is not int or seed < 0 or on_rng is None:
                raise ChannelViolation("unexpected random generator in a message")
            return on_rng(seed)
        if tag == "dict":
            items = d["items"]
            if type(items) is not list:
                raise ChannelViolation("malformed dict in a message")
            out: dict[str, Any] = {}
            for item in items:
                if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
                    raise ChannelViolation("malformed dict in a message")
                out[item[0]] = item[1]
            return out
        raise ChannelViolation(f"unknown tagged value {str(tag)[:40]!r} from the worker")

    # object_hook runs innermost-first, in document order, so array buffers
    # are consumed in the order the encoder appended them.
    value = _json_decoder_cls(object_hook=hook).decode(header)
    end = state["offset"]
    if end != total:
        raise ChannelViolation("the worker sent a message with trailing bytes")
    return value


# ---------------------------------------------------------------- blocking pipe I/O (worker side)

def write_frame_blocking(fd: int, parts: list[bytes | memoryview]) -> None:
    """Write a whole frame on a blocking fd."""
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        n = os.writev(fd, views[:512])
        while n:
            first = views[0]
            if n >= len(first):
                n -= len(first)
                views.pop(0)
            else:
                views[0] = first[n:]
                n = 0


def read_exact_blocking(fd: int, n: int) -> bytearray | None:
    """Read exactly n bytes; None on EOF before the first byte, EOFError on a torn frame."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            if got == 0:
                return None
            raise EOFError("pipe closed in the middle of a frame")
        got += k
    return buf


def read_frame_blocking(fd: int, max_bytes: int) -> bytearray | None:
    """The next frame's payload on a blocking fd, or None at EOF."""
    head = read_exact_blocking(fd, FRAME_HEAD_SIZE)
    if head is None:
        return None
    length = parse_frame_head(bytes(head), max_bytes)
    payload = read_exact_blocking(fd, length)
    if payload is None:
        raise EOFError("pipe closed in the middle of a frame")
    return payload
