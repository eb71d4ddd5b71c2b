"""The codec: round trips of everything allowed, rejection of everything else."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.sandbox import ChannelViolation, Handle, Rng
from grader.sandbox import channel
from grader.sandbox.channel import DTYPE_WHITELIST, EncodeError, decode, encode

WHITELIST = [np.dtype(d) for d in sorted(DTYPE_WHITELIST)]


def roundtrip(value, **hooks):
    frame = b"".join(bytes(p) for p in encode(value))
    length = channel.parse_frame_head(frame[: channel.FRAME_HEAD_SIZE], 1 << 30)
    payload = frame[channel.FRAME_HEAD_SIZE:]
    assert len(payload) == length
    return decode(payload, **hooks)


def frame_of(header: dict, buffers: bytes = b"") -> bytes:
    """A payload built by hand (for malformed-message tests)."""
    h = json.dumps(header).encode()
    body = struct.pack(">I", len(h)) + h
    body += bytes(-len(body) % 8)
    return body + buffers


def assert_fresh(a: np.ndarray) -> None:
    assert type(a) is np.ndarray
    assert a.flags.writeable and a.flags.c_contiguous and a.flags.owndata


@pytest.mark.parametrize("dtype", WHITELIST, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 4), (3, 4)])
def test_every_whitelisted_dtype_round_trips(dtype, shape):
    a = (np.arange(math.prod(shape)) % 3).astype(dtype).reshape(shape)
    b = roundtrip(a)
    assert_fresh(b)
    assert b.dtype == dtype and b.shape == shape
    assert np.array_equal(a, b)


@pytest.mark.parametrize("dtype", WHITELIST, ids=str)
def test_numpy_scalars_come_back_as_numpy_scalars(dtype):
    s = np.zeros((), dtype=dtype)[()]
    b = roundtrip(s)
    assert type(b) is type(s) and b == s


def test_zero_d_array_stays_an_array():
    b = roundtrip(np.array(1.5))
    assert type(b) is np.ndarray and b.shape == () and b == 1.5


def test_non_contiguous_and_big_endian_inputs():
    a = np.arange(24.0).reshape(4, 6)
    for view in (a.T, a[:, ::2], a[::-1], np.asfortranarray(a)):
        b = roundtrip(view)
        assert_fresh(b)
        assert np.array_equal(b, view)
    big = np.arange(5, dtype=">i4")
    b = roundtrip(big)
    assert b.dtype == np.dtype("<i4") and b.tolist() == [0, 1, 2, 3, 4]


def test_decoded_arrays_do_not_share_memory():
    a = np.arange(4.0)
    b, c = roundtrip([a, a])
    b[0] = 99
    assert c[0] == 0 and a[0] == 0


def test_nan_inf_and_special_floats():
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
    out = roundtrip(values)
    assert math.isnan(out[0]) and out[1:3] == [math.inf, -math.inf]
    assert math.copysign(1, out[3]) == -1 and out[4:] == values[4:]
    arr = roundtrip(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(arr[0]) and arr[1] == np.inf and arr[2] == -np.inf


def test_nested_plain_data():
    value = {"a": [1, 2.5, None, True, "s", {"b": (1, 2)}], "__t__": "not a tag", "": [[]]}
    out = roundtrip(value)
    assert out == {"a": [1, 2.5, None, True, "s", {"b": [1, 2]}], "__t__": "not a tag", "": [[]]}
    assert type(out["a"][3]) is bool and type(out["a"][0]) is int


def test_rng_and_handle_markers_need_hooks():
    assert roundtrip(Rng(7), on_rng=lambda seed: ("rng", seed)) == ("rng", 7)
    assert roundtrip([Handle(3, "Linear")], on_handle=lambda i, t: (i, t)) == [(3, "Linear")]
    with pytest.raises(ChannelViolation):
        roundtrip(Handle(3, "Linear"))
    with pytest.raises(ChannelViolation):
        roundtrip(Rng(1))
    with pytest.raises(TypeError):
        Rng(-1)


@pytest.mark.parametrize("value,diagnosis", [
    (np.zeros(2, dtype=np.complex128), "dtype"),
    (np.zeros(2, dtype=np.longdouble), "dtype"),
    (np.array([None]), "dtype"),
    (np.array(["a"]), "dtype"),
    (np.zeros(2, dtype=[("a", "<f8")]), "dtype"),
    (np.zeros(2).view(np.matrix), "tampering"),
    ({1: 2}, "tampering"),
    (object(), "tampering"),
    (b"bytes", "tampering"),
    ({1.5}, "tampering"),
])
def test_encoder_refuses_non_plain_values(value, diagnosis):
    with pytest.raises(EncodeError) as info:
        encode(value)
    assert info.value.diagnosis == diagnosis


def test_encoder_refuses_cycles_and_deep_nesting():
    a: list = []
    a.append(a)
    with pytest.raises(EncodeError):
        encode(a)
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(EncodeError):
        encode(deep)


@pytest.mark.parametrize("header", [
    {"__t__": "nd", "dtype": "|O", "shape": [1], "s": 0},
    {"__t__": "nd", "dtype": "<c16", "shape": [1], "s": 0},
    {"__t__": "nd", "dtype": "<f8", "shape": [-1], "s": 0},
    {"__t__": "nd", "dtype": "<f8", "shape": [1.5], "s": 0},
    {"__t__": "nd", "dtype": "<f8", "shape": [1 << 40], "s": 0},
    {"__t__": "nd", "dtype": "<f8", "shape": [2], "s": 1},
    {"__t__": "nd", "dtype": "<f8", "shape": [1] * 40, "s": 0},
    {"__t__": "pickle", "data": "gASV"},
    {"__t__": "dict", "items": [[1, 2]]},
    {"__t__": "dict", "items": "x"},
    {"__t__": "h", "id": "3", "type": "X"},
])
def test_decoder_rejects_malformed_tags(header):
    with pytest.raises(ChannelViolation):
        decode(frame_of(header, bytes(64)), on_handle=lambda i, t: None)


def test_decoder_rejects_truncated_trailing_and_garbage_payloads():
    good = frame_of({"__t__": "nd", "dtype": "<f8", "shape": [2], "s": 0}, bytes(16))
    decode(good)
    for bad in (good[:-8], good + bytes(8), b"", b"\x00\x00", b"\xff\xff\xff\xff{}",
                struct.pack(">I", 2) + b"{]", struct.pack(">I", 4) + b"\xff\xfe\xfd\xfc",
                struct.pack(">I", 3) + b"1e9999999999"[:3], frame_of({"a": 1}) + b"x"):
        with pytest.raises(ChannelViolation):
            decode(bad)


def test_decoder_survives_hostile_json():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ChannelViolation):
        decode(struct.pack(">I", len(deep)) + deep.encode() + bytes(-(4 + len(deep)) % 8))
    huge_int = "9" * 10_000
    with pytest.raises(ChannelViolation):
        decode(struct.pack(">I", len(huge_int)) + huge_int.encode() + bytes(-(4 + len(huge_int)) % 8))


def test_frame_head_checks_marker_and_size_cap():
    head = struct.pack(">4sQ", b"GSB1", 100)
    assert channel.parse_frame_head(head, 1000) == 100
    with pytest.raises(ChannelViolation):
        channel.parse_frame_head(head, 99)
    with pytest.raises(ChannelViolation):
        channel.parse_frame_head(struct.pack(">4sQ", b"\x80\x04\x95x", 10), 1000)
    with pytest.raises(ChannelViolation):
        channel.parse_frame_head(head[:5], 1000)


plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(plain)
def test_plain_data_round_trips(value):
    assert roundtrip(value) == value


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(st.sampled_from(WHITELIST), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
def test_arrays_round_trip_bit_exactly(a):
    b = roundtrip({"x": a, "y": [a, 1]})
    for got in (b["x"], b["y"][0]):
        assert_fresh(got)
        assert got.dtype == a.dtype and got.shape == a.shape
        assert got.tobytes() == np.ascontiguousarray(a).tobytes()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_the_decoder(data):
    try:
        decode(data, on_handle=lambda i, t: (i, t), on_rng=lambda s: s)
    except ChannelViolation:
        pass
