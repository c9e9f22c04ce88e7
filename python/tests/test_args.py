"""Argument handling: every bad argument raises TypeError, ValueError or RecurError with a
clear message, never a crash; conversions give the bits of the float32 array; out= buffers.
The hypothesis tests throw random shapes, dtypes, layouts and garbage at each argument: a
call either returns the reference's bits or raises one of the documented exceptions."""
import math
import os
import pydoc
import sys
import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import recur
from support import assert_same_bits, flat_outputs, poisoned

DOCUMENTED = (TypeError, ValueError, recur.RecurError)
RNG = np.random.default_rng(3)
LSTM = recur.from_torch(torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2))
GRU = recur.from_torch(torch.nn.GRU(3, 4, batch_first=True))
T, B = 4, 2


def lstm_inputs():
    x = RNG.standard_normal((T, B, 3), np.float32)
    return x, RNG.standard_normal((4, B, 2), np.float32), RNG.standard_normal((4, B, 5), np.float32)


# ---------------------------------------------------------------------------------------------
# x


@pytest.mark.parametrize("convert", [
    lambda x: x.astype(np.float64), lambda x: np.asfortranarray(x),
    lambda x: x.astype(">f4"), lambda x: np.repeat(x, 2, axis=2)[:, :, ::2],
    lambda x: x.tolist(), lambda x: torch.from_numpy(x.copy()), lambda x: memoryview(x.copy()),
], ids=["float64", "fortran", "big_endian", "strided", "list", "torch", "memoryview"])
def test_x_conversions_give_the_float32_bits(convert):
    x, h0, c0 = lstm_inputs()
    for a, b in zip(flat_outputs(LSTM(convert(x), (h0, c0))), flat_outputs(LSTM(x, (h0, c0)))):
        assert_same_bits(a, b)


def test_integer_and_float16_x_convert():
    x = RNG.integers(-3, 3, (T, B, 3))
    assert_same_bits(LSTM(x)[0], LSTM(x.astype(np.float32))[0])
    assert_same_bits(LSTM(x.astype(np.float16))[0], LSTM(x.astype(np.float32))[0])


@pytest.mark.parametrize("x,error,match", [
    ("abc", TypeError, "float32"), (None, TypeError, "float32"),
    (np.zeros((T, B, 3), complex), TypeError, "complex"),
    (np.array([[[object()] * 3] * B] * T), TypeError, "object"),
    (np.zeros((T, B, 3), "datetime64[s]"), TypeError, "float32"),
    (np.zeros(3, np.float32), ValueError, "dimensions"),
    (np.zeros((1, T, B, 3), np.float32), ValueError, "dimensions"),
    (np.zeros((T, B, 4), np.float32), ValueError, "input_size is 3"),
    (np.zeros((0, B, 3), np.float32), ValueError, "at least 1"),
    (np.zeros((T, 0, 3), np.float32), ValueError, "at least 1"),
    ([[1.0, 2.0, 3.0], [1.0]], ValueError, ""),
], ids=["str", "None", "complex", "object", "datetime", "1d", "4d", "features", "T0", "B0",
        "ragged"])
def test_bad_x(x, error, match):
    with pytest.raises(error, match=match):
        LSTM(x)


HUGE = 2**40  # a broadcast view this long would take terabytes as a float32 copy


def huge(shape, dtype=np.float32):
    return np.broadcast_to(np.zeros((), dtype), shape)


@pytest.mark.parametrize("x,hx,kwargs,match", [
    (huge((HUGE, 1, 4)), None, {}, "input_size is 3"),
    (huge((HUGE, 1, 4), np.float64), None, {}, "input_size is 3"),
    (huge((1, HUGE, 3)), (np.zeros((4, 1, 2)), None), {}, "h0 has shape"),
    (huge((1, HUGE, 3)), (huge((4, HUGE, 2)), np.zeros((4, 1, 5))), {}, "c0 has shape"),
    (np.zeros((T, B, 3)), (huge((4, HUGE, 2), np.float64), None), {}, "h0 has shape"),
    (huge((1, HUGE, 3)), None, {"lengths": [1]}, "lengths has shape"),
    (huge((1, HUGE, 3)), None, {"out": np.zeros((1, 1, 4), np.float32)}, "out y has shape"),
    (huge((1, HUGE, 3)), None, {"out": (None, (np.zeros((4, 1, 2), np.float32), None))},
     "out h_n has shape"),
], ids=["x", "x_float64", "h0", "c0", "h0_float64", "lengths", "out_y", "out_h_n"])
def test_shapes_are_checked_before_anything_is_copied(x, hx, kwargs, match):
    """A wrong shape is a ValueError, not the MemoryError of copying a huge input first."""
    with pytest.raises(ValueError, match=match):
        LSTM(x, hx, **kwargs)


def test_unbatched_x_and_batch_first():
    x = RNG.standard_normal((T, 3), np.float32)
    y, (h, c) = LSTM(x)
    assert y.shape == (T, 4) and h.shape == (4, 2) and c.shape == (4, 5)
    y_b, (h_b, c_b) = LSTM(x[:, None, :])
    for a, b in ((y, y_b[:, 0]), (h, h_b[:, 0]), (c, c_b[:, 0])):
        assert_same_bits(a, b)
    y, h = GRU(RNG.standard_normal((B, T, 3), np.float32))
    assert y.shape == (B, T, 4) and h.shape == (1, B, 4)


# ---------------------------------------------------------------------------------------------
# hx


def test_hx_structure():
    x, h0, c0 = lstm_inputs()
    with pytest.raises(TypeError, match="tuple"):
        LSTM(x, h0)
    with pytest.raises(TypeError, match="tuple"):
        LSTM(x, (h0, c0, c0))
    with pytest.raises(TypeError, match="not a tuple"):
        GRU(np.zeros((B, T, 3), np.float32), (np.zeros((1, B, 4), np.float32),))
    zeros_h, zeros_c = np.zeros_like(h0), np.zeros_like(c0)
    assert_same_bits(LSTM(x, (h0, None))[0], LSTM(x, (h0, zeros_c))[0])
    assert_same_bits(LSTM(x, [None, c0])[0], LSTM(x, (zeros_h, c0))[0])
    assert_same_bits(LSTM(x, hx=None)[0], LSTM(x, (zeros_h, zeros_c))[0])


class DropsC:
    """An h0 whose conversion drops c0 from the list hx that alone holds it."""

    def __init__(self, pair, h0):
        self.pair, self.h0 = pair, h0

    def __array__(self, dtype=None):
        self.pair[1] = None
        return self.h0


def test_an_hx_list_changed_while_converting_h0_keeps_its_c0():
    x, h0, c0 = lstm_inputs()
    want = LSTM(x, (h0, c0))
    pair = [None, c0.copy()]  # c0's only reference is the list's
    pair[0] = DropsC(pair, h0)
    for got, expected in zip(flat_outputs(LSTM(x, pair)), flat_outputs(want)):
        assert_same_bits(got, expected)


@pytest.mark.parametrize("which", ["h0", "c0"])
@pytest.mark.parametrize("shape", [(4, B), (3, B, 2), (4, B + 1, 2), (4, B, 2, 1), ()])
def test_state_shapes(which, shape):
    x, h0, c0 = lstm_inputs()
    bad = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=f"{which} has shape"):
        LSTM(x, (bad, c0) if which == "h0" else (h0, bad))


# ---------------------------------------------------------------------------------------------
# lengths


@pytest.mark.parametrize("lengths", [[2, 4], np.array([2, 4], np.uint8), torch.tensor([2, 4]),
                                     (2, 4), np.array([2, 4], np.int32)])
def test_lengths_types(lengths):
    x = lstm_inputs()[0]
    assert_same_bits(LSTM(x, lengths=lengths)[0], LSTM(x, lengths=np.array([2, 4]))[0])


@pytest.mark.parametrize("lengths,error,match", [
    ([2.0, 4.0], TypeError, "integers"), ([math.nan, 4], TypeError, "integers"),
    ([True, True], TypeError, "integers"), (["2", "4"], TypeError, "integers"),
    ([0, 4], ValueError, r"lengths\[0\] = 0, outside 1..4"),
    ([2, 5], ValueError, r"lengths\[1\] = 5"), ([-1, 2], ValueError, "outside"),
    (np.array([2, 2**64 - 1], np.uint64), ValueError, "outside"),
    ([2**70, 1], ValueError, r"lengths\[0\] = 1180591620717411303424, outside 1..4"),
    ([2, -2**70], ValueError, r"lengths\[1\] = -1180591620717411303424, outside 1..4"),
    ([2**70, 1.5], TypeError, "integers"), ([2], ValueError, "shape"),
    ([2, 3, 4], ValueError, "shape"), ([[2, 3]], ValueError, "shape"), (3, ValueError, "shape"),
    (torch.tensor([1.5, 2.0]), TypeError, "integers"),
])
def test_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        LSTM(lstm_inputs()[0], lengths=lengths)


# ---------------------------------------------------------------------------------------------
# num_threads, keywords, a closed net


@pytest.mark.parametrize("threads", [None, 0, 1, True, np.int64(2), 10**30])
def test_good_num_threads(threads):
    x = lstm_inputs()[0]
    assert_same_bits(LSTM(x, num_threads=threads)[0], LSTM(x)[0])
    if threads is not None:
        try:
            recur.set_num_threads(threads)
            assert_same_bits(LSTM(x)[0], LSTM(x, num_threads=1)[0])
        finally:
            recur.set_num_threads(0)


@pytest.mark.parametrize("threads,error", [(-1, ValueError), (-10**30, ValueError),
                                           (1.5, TypeError), ("2", TypeError)])
def test_bad_num_threads(threads, error):
    with pytest.raises(error):
        LSTM(lstm_inputs()[0], num_threads=threads)
    with pytest.raises(error):
        recur.set_num_threads(threads)


def test_call_signature():
    x = lstm_inputs()[0]
    with pytest.raises(TypeError, match="positional"):
        LSTM()
    with pytest.raises(TypeError, match="positional"):
        LSTM(x, None, None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'length'"):
        LSTM(x, length=[1, 2])
    with pytest.raises(TypeError, match="multiple values for argument 'hx'"):
        LSTM(x, None, hx=None)


def test_closed_net():
    net = recur.from_torch(torch.nn.GRU(3, 4))
    with net as same:
        assert same is net
        net(np.zeros((1, 1, 3), np.float32))
    assert net.closed and "closed" in repr(net)
    for call in (lambda: net(np.zeros((1, 1, 3))), lambda: net.plan(), lambda: net.model_bytes,
                 lambda: net.__enter__()):
        with pytest.raises(ValueError, match="closed"):
            call()
    net.close()  # twice is fine
    assert net.cell == "gru"  # the description stays readable


# ---------------------------------------------------------------------------------------------
# out=


def test_out_buffers_are_filled_and_returned():
    x, h0, c0 = lstm_inputs()
    y, (h, c) = poisoned((T, B, 4)), (poisoned((4, B, 2)), poisoned((4, B, 5)))
    got = LSTM(x, (h0, c0), out=(y, (h, c)))
    assert got[0] is y and got[1][0] is h and got[1][1] is c
    for a, b in zip(flat_outputs(got), flat_outputs(LSTM(x, (h0, c0)))):
        assert_same_bits(a, b)
    assert LSTM(x, out=y)[0] is y
    assert LSTM(x, out=(None, (h, None)))[1][0] is h


def test_out_state_in_place():
    x, h0, c0 = lstm_inputs()
    want = flat_outputs(LSTM(x, (h0, c0)))
    h, c = h0.copy(), c0.copy()
    got = LSTM(x, (h, c), out=(None, (h, c)))
    for a, b in zip(flat_outputs(got), want):
        assert_same_bits(a, b)


@pytest.mark.parametrize("out,error,match", [
    (np.empty((T, B, 4), np.float64), TypeError, "float32"),
    (np.empty((T, B, 4), ">f4"), TypeError, "float32"),
    (np.empty((T, B, 8), np.float32)[:, :, ::2], ValueError, "C-contiguous"),
    (np.empty((T, B, 5), np.float32), ValueError, r"out y has shape \(4, 2, 5\), expected"),
    ([[[0.0] * 4] * B] * T, TypeError, "ndarray"),
    ((np.empty((T, B, 4), np.float32), np.empty((4, B, 2), np.float32)), TypeError, "tuple"),
    ((None, (np.empty((4, B, 3), np.float32), None)), ValueError, "out h_n has shape"),
    (np.broadcast_to(np.float32(0), (T, B, 4)), ValueError, "writeable"),
])
def test_bad_out(out, error, match):
    with pytest.raises(error, match=match):
        LSTM(lstm_inputs()[0], out=out)


def test_out_overlapping_an_input_is_recurs_error():
    x = np.zeros((T, B, 4), np.float32)
    net = recur.from_torch(torch.nn.GRU(4, 4))
    with pytest.raises(recur.RecurError, match="overlaps") as e:
        net(x, out=x)
    assert e.value.status == recur.ERR_INVALID_ARGUMENT
    assert e.value.name == "RECUR_ERR_INVALID_ARGUMENT"


# ---------------------------------------------------------------------------------------------
# loading


def test_load_errors(tmp_path):
    with pytest.raises(recur.RecurError) as e:
        recur.load_bytes(b"\x10" + bytes(20))
    assert e.value.status == recur.ERR_BAD_FILE and e.value.detail in str(e.value)
    with pytest.raises(TypeError, match="str"):
        recur.load_bytes("model.safetensors")
    with pytest.raises(TypeError):
        recur.load_bytes(42)
    # What the system refuses is Python's own OSError, as open() raises it; recur's errors
    # (no regular file, the memory limit) are RecurError (test_load_refuses_*).
    with pytest.raises(FileNotFoundError) as e:
        recur.load(tmp_path / "missing.safetensors")
    assert e.value.filename == str(tmp_path / "missing.safetensors")
    with pytest.raises(IsADirectoryError):  # a folder is no model
        recur.load(tmp_path)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"nonsense")
    with pytest.raises(recur.RecurError) as e:
        recur.load(path)
    assert str(path) in "".join(e.value.__notes__)
    data = LSTM.model_bytes
    with pytest.raises(ValueError, match="precision 'fp16'") as e:
        recur.load_bytes(data, precision="fp16")
    assert ", ".join(recur.precisions()) in str(e.value)  # the library's list, not a literal
    assert recur.precisions()[:3] == ["fp32", "bf16", "int8"]  # pinned: the default first
    for name in recur.precisions():  # every name the library gives loads, and reads back
        assert recur.load_bytes(data, precision=name).precision == name
    with pytest.raises(ValueError):
        recur.load_bytes(data, prefix="a\0b")
    with pytest.raises(ValueError):
        recur.load_bytes(data, precision="fp32\0junk")
    model = tmp_path / "model.safetensors"
    model.write_bytes(data)
    with pytest.raises(ValueError, match="null"):  # not model.safetensors
        recur.load(f"{model}\0junk")
    assert recur.load(model).model_bytes == data
    with pytest.raises(recur.RecurError):
        recur.load_bytes(data, prefix="nothing.here")
    assert recur.load_bytes(bytearray(data)).model_bytes == data
    assert recur.load_bytes(memoryview(data), batch_first=True).batch_first


def test_load_refuses_a_fifo_at_once(tmp_path):
    """As the C loader does; Python's open() would wait for a writer."""
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    errors = []

    def load():
        try:
            recur.load(fifo)
        except Exception as e:
            errors.append(e)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # waiting for a writer: one that writes nothing lets it end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("recur.load waited for a writer on a FIFO")
    assert len(errors) == 1 and isinstance(errors[0], recur.RecurError), errors
    assert errors[0].status == recur.ERR_IO and "not a regular file" in errors[0].detail


def test_load_refuses_a_device():
    """/dev/zero is not read until memory runs out."""
    with pytest.raises(recur.RecurError, match="/dev/zero: not a regular file") as e:
        recur.load("/dev/zero")
    assert e.value.status == recur.ERR_IO


def test_load_checks_the_memory_limit_before_reading(tmp_path):
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.truncate(2**26)  # sparse: no disk, and nothing to read if the limit is checked first
    recur.set_memory_limit(2**20)
    try:
        with pytest.raises(recur.RecurError, match="memory limit of 1048576") as e:
            recur.load(path)
    finally:
        recur.set_memory_limit(0)
    assert e.value.status == recur.ERR_LIMIT and str(path) in e.value.detail


def test_recur_error_raised_by_hand():
    e = recur.RecurError("mine")
    assert e.status is None and e.name is None and e.detail is None
    with pytest.raises(recur.RecurError):
        recur.set_isa("no_such_isa")


def test_set_isa_refuses_a_nul():
    """C would read the name up to the NUL: this one would force the ISA in use."""
    with pytest.raises(ValueError, match="NUL"):
        recur.set_isa(recur.isa() + "\0junk")
    with pytest.raises(TypeError, match="str"):
        recur.set_isa(b"scalar")


def test_module_functions_and_docs():
    assert recur.__version__.count(".") == 2
    assert recur.isa() in recur.isa_list() and "scalar" in recur.isa_list()
    assert isinstance(recur.cpu_features(), list)
    assert LSTM.isa == recur.isa()
    plan = LSTM.plan(batch=4, num_threads=2)
    assert plan["isa"] == LSTM.isa and 1 <= plan["threads"] <= 2 and plan["groups"] in (1, 2)
    assert len(plan["batch_parts"]) == len(plan["hidden_parts"]) == 2
    with pytest.raises(ValueError):
        LSTM.plan(num_threads=-1)
    for batch in (0, 2**40, 2**70):  # 2**70 too: not an OverflowError
        with pytest.raises(recur.RecurError, match="recur_net_plan: batch") as e:
            LSTM.plan(batch=batch)
        assert e.value.status == recur.ERR_INVALID_SIZE
    limit = recur.memory_limit()
    for bad in (-1, -2**70):
        with pytest.raises(ValueError, match=f"{bad} bytes is negative"):
            recur.set_memory_limit(bad)
    with pytest.raises(TypeError):
        recur.set_memory_limit(1.5)
    assert recur.memory_limit() == limit
    recur.set_memory_limit(2**70)  # past the address space: no limit
    assert recur.memory_limit() == 2 * sys.maxsize + 1
    recur.set_memory_limit(1000)
    try:
        with pytest.raises(recur.RecurError) as e:
            recur.load_bytes(LSTM.model_bytes)
        assert e.value.status == recur.ERR_LIMIT
    finally:
        recur.set_memory_limit(0)
    assert recur.memory_limit() == limit
    assert repr(LSTM).startswith("<recur.Net lstm input_size=3 hidden_size=5 num_layers=2 "
                                 "bidirectional=True proj_size=2")
    text = pydoc.render_doc(recur, renderer=pydoc.plaintext)
    for name in recur.__all__:
        assert getattr(recur, name).__doc__ or name == "__version__", name
        assert name in text
    for name, attr in vars(recur.Net).items():
        if not name.startswith("_") or name in ("__enter__", "__exit__", "__reduce__"):
            assert attr.__doc__, name


# ---------------------------------------------------------------------------------------------
# Property tests: garbage and random shapes, dtypes and layouts for every argument.

DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.int8, np.int64, np.uint16,
                          np.bool_, np.complex64, ">f4", "<f8", "U3", "S2", "m8[s]"])


def arrays(shape):
    """Arrays of the given shape strategy with any dtype, order and stride."""
    def layout(a, how):
        if how == "F":
            return np.asfortranarray(a)
        if how == "strided" and a.ndim:
            return np.repeat(a, 2, axis=-1)[..., ::2]
        return a
    return st.builds(layout, hnp.arrays(DTYPES, shape, elements=None, fill=None),
                     st.sampled_from(["C", "F", "strided"]))


GARBAGE = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=3), st.binary(),
                    st.lists(st.floats(), max_size=3), st.just(object()), st.just({}))
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


REAL = st.sampled_from([np.float32, np.float64, np.float16, np.int16, ">f4"])


def right_or_random(right):
    """Mostly a right-shaped real array (any layout), sometimes any dtype or shape, or
    anything at all."""
    return mostly(hnp.arrays(REAL, right), arrays(st.just(right)), arrays(SHAPES), GARBAGE)


def mostly(valid, *others):
    """valid three times in four, else one of the others."""
    return st.integers(0, 3).flatmap(lambda k: valid if k else st.one_of(*others))


def canonical(a):
    return None if a is None else np.asarray(a, np.float32)


def check(net, x, hx, lengths, threads, out):
    """The call returns the reference's bits, or raises a documented exception."""
    try:
        got = net(x, hx, lengths=lengths, num_threads=threads, out=out)
    except DOCUMENTED:
        return
    hx_c = tuple(map(canonical, hx)) if isinstance(hx, (tuple, list)) else canonical(hx)
    with np.errstate(all="ignore"):
        want = net(canonical(x), hx_c, lengths=lengths, num_threads=threads)
    for a, b in zip(flat_outputs(got), flat_outputs(want)):
        assert_same_bits(a, b)


@settings(max_examples=400)
@given(x=right_or_random((T, B, 3)),
       hx=mostly(st.tuples(mostly(right_or_random((4, B, 2)), st.none()),
                           mostly(right_or_random((4, B, 5)), st.none())), st.none(), GARBAGE),
       lengths=mostly(st.none(), st.lists(st.integers(1, T), min_size=B, max_size=B),
                      st.lists(st.integers(-1, T + 1), max_size=3), arrays(st.just((B,))),
                      GARBAGE),
       threads=mostly(st.sampled_from([None, 0, 1, 2, 3]), st.integers(-3, 5), GARBAGE),
       out=mostly(st.none(), GARBAGE, right_or_random((T, B, 4)),
                  st.tuples(right_or_random((T, B, 4)),
                            st.tuples(right_or_random((4, B, 2)), right_or_random((4, B, 5))))))
def test_lstm_any_arguments(x, hx, lengths, threads, out):
    with np.errstate(all="ignore"):
        check(LSTM, x, hx, lengths, threads, out)


@settings(max_examples=300)
@given(x=right_or_random((B, T, 3)), hx=mostly(st.none(), right_or_random((1, B, 4))),
       lengths=mostly(st.none(), st.lists(st.integers(-1, T + 1), min_size=B, max_size=B)),
       out=mostly(st.none(), st.tuples(right_or_random((B, T, 4)), right_or_random((1, B, 4)))))
def test_gru_any_arguments(x, hx, lengths, out):
    with np.errstate(all="ignore"):
        check(GRU, x, hx, lengths, None, out)


@settings(max_examples=200)
@given(x=hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 4), st.just(3)),
                    elements=st.floats(-4, 4, width=32)),
       dtype=st.sampled_from([np.float64, np.float16, np.int32, ">f4"]))
def test_valid_inputs_are_never_refused(x, dtype):
    """A right-shaped real array always runs, converted, to the float32 copy's bits."""
    converted = x.astype(dtype)
    assert_same_bits(LSTM(converted)[0], LSTM(converted.astype(np.float32))[0])


@settings(max_examples=200)
@given(data=st.binary(max_size=200))
def test_load_bytes_garbage(data):
    try:
        recur.load_bytes(data)
    except recur.RecurError:
        pass
