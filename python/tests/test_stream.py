"""recur.Stream: any split of a sequence into step calls gives the bits of one net(x, hx) call,
rows reset independently, the state reads and writes as h_n/c_n and h0/c0, bad arguments
raise the documented exceptions, the GIL is released during a step, a second thread is
refused while one steps, and net.close() with a live stream is safe."""
import pickle
import pydoc
import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import recur
from support import assert_same_bits, seen_mid_call

torch.set_num_threads(1)
torch.manual_seed(0)

MODULES = {
    "rnn_tanh": lambda: torch.nn.RNN(5, 7),
    "rnn_relu": lambda: torch.nn.RNN(5, 7, nonlinearity="relu", num_layers=2),
    "lstm": lambda: torch.nn.LSTM(5, 7),
    "lstm_stacked_proj": lambda: torch.nn.LSTM(5, 9, num_layers=3, proj_size=4),
    "gru": lambda: torch.nn.GRU(5, 7),
    "gru_stacked_batch_first": lambda: torch.nn.GRU(5, 6, num_layers=2, batch_first=True),
}


def random_state(net, batch, rng):
    h = rng.standard_normal((net.num_layers, batch, net.proj_size or net.hidden_size),
                            np.float32)
    if net.cell != "lstm":
        return h
    return h, rng.standard_normal((net.num_layers, batch, net.hidden_size), np.float32)


def as_state(result_state):
    """A forward call's h_n or (h_n, c_n) as a list of arrays."""
    return list(result_state) if isinstance(result_state, tuple) else [result_state]


def time_first_call(net, x, hx):
    """net(x, hx) for time-first x whatever the net's batch_first: (y time-first, state)."""
    if net.batch_first:
        y, state = net(np.ascontiguousarray(x.transpose(1, 0, 2)), hx)
        return np.ascontiguousarray(y.transpose(1, 0, 2)), state
    return net(x, hx)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("threads", [1, 2])
def test_any_split_gives_the_bits_of_one_call(name, precision, threads):
    net = recur.from_torch(MODULES[name](), precision=precision)
    rng = np.random.default_rng([ord(ch) for ch in name + precision] + [threads])
    for _ in range(3):
        T, B = int(rng.integers(1, 40)), int(rng.integers(1, 5))
        x = rng.standard_normal((T, B, 5), np.float32)
        hx = random_state(net, B, rng)
        y_want, state_want = time_first_call(net, x, hx)
        s = net.stream(B, num_threads=threads)
        s.state = hx
        ys, t = [], 0
        while t < T:
            n = int(rng.integers(1, T - t + 1))
            if n == 1 and rng.integers(2):
                ys.append(s.step(x[t])[None])  # a 2-D x: one step
            else:
                ys.append(s.step(x[t:t + n]))
            t += n
        assert_same_bits(np.concatenate(ys), y_want, "y")
        for got, want in zip(as_state(s.state), as_state(state_want)):
            assert_same_bits(got, want, "state")


def test_step_reads_other_dtypes_and_layouts_and_writes_out():
    net = recur.from_torch(torch.nn.GRU(3, 4))
    x = np.random.default_rng(1).standard_normal((6, 2, 3))  # float64
    want, _ = net(x)
    s = net.stream(2)
    out = np.full((4, 2, 4), np.nan, np.float32)
    assert s.step(np.asfortranarray(x[:4]), out=out) is out
    assert_same_bits(out, want[:4])
    assert_same_bits(s.step(torch.tensor(x[4:])), want[4:])


def test_reset_of_one_row_while_the_others_go_on():
    net = recur.from_torch(torch.nn.LSTM(3, 5, num_layers=2))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((12, 3, 3), np.float32)
    s = net.stream(3)
    y1 = s.step(x[:5])
    s.reset(1)
    y2 = s.step(x[5:])
    for row in range(3):  # each row alone, through the net
        y_row, _ = net(x[:, row:row + 1])
        if row == 1:  # a new sequence from step 5 on
            assert_same_bits(y1[:, 1:2], y_row[:5])
            assert_same_bits(y2[:, 1:2], net(x[5:, 1:2])[0])
        else:
            assert_same_bits(np.concatenate([y1, y2])[:, row:row + 1], y_row)
    s.reset()
    h, c = s.state
    assert not h.any() and not c.any()


def test_state_of_an_lstm_may_set_one_part():
    net = recur.from_torch(torch.nn.LSTM(2, 3))
    s = net.stream(2)
    h = np.ones((1, 2, 3), np.float32)
    s.state = (h, None)
    got_h, got_c = s.state
    assert_same_bits(got_h, h) and not got_c.any()
    s.state = (None, 2 * h)
    got_h, got_c = s.state
    assert_same_bits(got_h, h)
    assert_same_bits(got_c, 2 * h)
    s.state = [h.tolist(), np.zeros((1, 2, 3), np.float64)]  # converted
    assert not s.state[1].any()


def test_properties_repr_and_help():
    net = recur.from_torch(torch.nn.GRU(2, 3))
    with net.stream(4, num_threads=2) as s:
        assert (s.batch, s.num_threads, s.net, s.closed) == (4, 2, net, False)
        assert repr(s) == "<recur.Stream gru batch=4 num_threads=2>"
        assert s.state.shape == (1, 4, 3)
    assert s.closed and repr(s).endswith(" closed>")
    text = pydoc.render_doc(recur.Stream, renderer=pydoc.plaintext)
    for part in ("step(x, out=None)", "reset(row=-1)", "net.stream(batch", "state", "closed"):
        assert part in text, part
    text = pydoc.render_doc(recur.Net, renderer=pydoc.plaintext)
    assert "stream(batch, num_threads=0)" in text


def test_bidirectional_is_refused():
    net = recur.from_torch(torch.nn.LSTM(2, 3, bidirectional=True))
    with pytest.raises(recur.RecurError, match="bidirectional") as e:
        net.stream(1)
    assert e.value.status == recur.ERR_UNSUPPORTED


NET = recur.from_torch(torch.nn.LSTM(3, 4, num_layers=2))


@pytest.mark.parametrize("args,kwargs,error,match", [
    ((0,), {}, ValueError, "batch is 0"),
    ((-3,), {}, ValueError, "batch is -3"),
    ((2.0,), {}, TypeError, "integer"),
    (("2",), {}, TypeError, "integer"),
    ((), {}, TypeError, "batch"),
    ((1,), {"num_threads": -1}, ValueError, "negative"),
    ((1,), {"num_threads": 1.5}, TypeError, "integer"),
    ((-(1 << 70),), {}, ValueError, "batch is -1180591620717411303424, expected >= 1"),
    ((1 << 40,), {}, recur.RecurError, "batch 1099511627776, must be in 1.."),
    ((1 << 70,), {}, recur.RecurError, "batch 9223372036854775807, must be in 1.."),  # int64's
])
def test_bad_stream_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match) as e:
        NET.stream(*args, **kwargs)
    if error is recur.RecurError:
        assert e.value.status == recur.ERR_INVALID_SIZE


@pytest.mark.parametrize("x,error,match", [
    (np.zeros((2, 3, 3), np.float32), ValueError, r"x has shape \(2, 3, 3\), expected \(2, 2, 3\)"),
    (np.zeros((2, 2, 4), np.float32), ValueError, "x has shape"),
    (np.zeros((2, 4), np.float32), ValueError, r"expected \(2, 3\)"),
    (np.zeros((0, 2, 3), np.float32), ValueError, "0 steps"),
    (np.zeros(3, np.float32), ValueError, "1 dimensions"),
    (np.zeros((1, 1, 2, 3), np.float32), ValueError, "4 dimensions"),
    (np.zeros((1, 2, 3), np.complex64), TypeError, "dtype"),
    (np.array([["a"] * 3] * 2), TypeError, "dtype"),
    (None, TypeError, "dtype"),
])
def test_bad_x(x, error, match):
    s = NET.stream(2)
    with pytest.raises(error, match=match):
        s.step(x)
    assert not s.state[0].any()  # a refused step changes nothing


HUGE = 2**40  # a broadcast view this long would take terabytes as a float32 copy


def huge(shape, dtype=np.float32):
    return np.broadcast_to(np.zeros((), dtype), shape)


def test_shapes_are_checked_before_anything_is_copied():
    """A wrong shape is a ValueError, not the MemoryError of copying a huge input first."""
    s = NET.stream(2)
    with pytest.raises(ValueError, match=r"x has shape \(1099511627776, 1, 3\)"):
        s.step(huge((HUGE, 1, 3)))
    with pytest.raises(ValueError, match=r"x has shape \(1099511627776, 2, 4\)"):
        s.step(huge((HUGE, 2, 4), np.float64))
    with pytest.raises(ValueError, match="out y has shape"):
        s.step(huge((HUGE, 2, 3)), out=np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match="h has shape"):
        s.state = (huge((2, HUGE, 4), np.float64), None)
    with pytest.raises(ValueError, match="c has shape"):
        s.state = (np.ones((2, 2, 4), np.float64), huge((2, HUGE, 4), np.float64))
    assert not s.state[0].any()  # nothing was set


def test_a_batch_first_net_is_told_x_is_time_first():
    s = recur.from_torch(torch.nn.GRU(3, 4, batch_first=True)).stream(2)
    with pytest.raises(ValueError, match=r"x \(time-first: steps, batch, I, whatever the net's "
                       r"batch_first\) has shape \(2, 5, 3\), expected \(2, 2, 3\)"):
        s.step(np.zeros((2, 5, 3), np.float32))  # (batch, steps, I)
    assert s.step(np.ones((5, 2, 3), np.float32)).shape == (5, 2, 4)


@pytest.mark.parametrize("out,error,match", [
    (np.zeros((1, 2, 4), np.float64), TypeError, "float32"),
    (np.zeros((1, 2, 5), np.float32), ValueError, "out y has shape"),
    (np.zeros((2, 4), np.float32), ValueError, "out y has shape"),
    (np.zeros((4, 2, 1), np.float32).T, ValueError, "C-contiguous"),
    ([[[0.0] * 4] * 2], TypeError, "numpy.ndarray"),
])
def test_bad_out(out, error, match):
    with pytest.raises(error, match=match):
        NET.stream(2).step(np.zeros((1, 2, 3), np.float32), out=out)


def test_out_overlapping_x_is_refused():
    net = recur.from_torch(torch.nn.GRU(4, 4))
    x = np.zeros((2, 1, 4), np.float32)
    with pytest.raises(recur.RecurError, match="overlaps"):
        net.stream(1).step(x, out=x)


@pytest.mark.parametrize("row", [2, 3, -2, 1 << 70, -(1 << 70), np.int64(2)])
def test_row_out_of_range(row):
    s = NET.stream(2)
    with pytest.raises(ValueError, match=rf"row {row} is outside 0..1 \(or -1: every row\)"):
        s.reset(row)


@pytest.mark.parametrize("state,error,match", [
    (np.zeros((2, 2, 4), np.float32), TypeError, r"tuple \(h, c\)"),
    ((np.zeros((2, 2, 4)), np.zeros((2, 3, 4))), ValueError, r"c has shape"),
    ((np.zeros((1, 2, 4)), None), ValueError, r"h has shape"),
    ((np.zeros((2, 2, 4)),), TypeError, "tuple"),
    ((np.zeros((2, 2, 4), np.complex64), None), TypeError, "dtype"),
    (None, TypeError, "None"),
])
def test_bad_state(state, error, match):
    s = NET.stream(2)
    with pytest.raises(error, match=match):
        s.state = state
    with pytest.raises(TypeError, match="deleted"):
        del s.state


def test_a_gru_state_is_one_array():
    s = recur.from_torch(torch.nn.GRU(2, 3)).stream(1)
    with pytest.raises(TypeError, match="not a tuple"):
        s.state = (np.zeros((1, 1, 3)), np.zeros((1, 1, 3)))


def test_a_closed_stream_refuses_every_call():
    s = NET.stream(2)
    s.close()
    s.close()
    for call in (lambda: s.step(np.zeros((2, 3))), s.reset, lambda: s.state,
                 lambda: setattr(s, "state", (None, None)), lambda: s.__enter__()):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert s.net is NET and s.batch == 2


class ClosesTheStream:
    """An input whose conversion closes the stream it is given to (Python code runs there)."""
    def __init__(self, stream, shape):
        self.stream, self.shape = stream, shape

    def __array__(self, dtype=None):
        self.stream.close()
        return np.zeros(self.shape, np.float32)


def test_a_stream_closed_while_converting_an_argument_is_refused():
    s = NET.stream(2)
    with pytest.raises(ValueError, match="closed"):
        s.step(ClosesTheStream(s, (1, 2, 3)))
    s = NET.stream(2)
    with pytest.raises(ValueError, match="closed"):
        s.state = (ClosesTheStream(s, (2, 2, 4)), None)


class DropsC:
    """h whose conversion drops the state list's reference to c."""
    def __init__(self, pair):
        self.pair = pair

    def __array__(self, dtype=None):
        self.pair[1] = None
        return np.zeros((2, 2, 4), np.float32)


def test_a_state_list_changed_while_converting_h_keeps_its_c():
    s = NET.stream(2)
    pair = [None, np.ones((2, 2, 4), np.float32)]  # c only the list holds
    pair[0] = DropsC(pair)
    s.state = pair
    assert (s.state[1] == 1).all()


def test_pickling_is_refused():
    with pytest.raises(TypeError, match="pickle its net and its state"):
        pickle.dumps(NET.stream(1))
    with pytest.raises(TypeError):
        recur.Stream()


def test_net_close_with_a_live_stream_is_safe():
    net = recur.from_torch(torch.nn.LSTM(3, 4))
    x = np.ones((5, 2, 3), np.float32)
    want, _ = net(x)
    s = net.stream(2)
    net.close()
    with pytest.raises(ValueError, match="closed"):
        net.stream(2)
    with pytest.raises(ValueError, match="closed"):
        net(x)
    assert_same_bits(s.step(x), want)  # the C net lives until the stream closes
    s.close()
    del net
    assert s.closed and s.net.closed


def test_a_stream_keeps_its_net_alive():
    s = recur.from_torch(torch.nn.GRU(2, 3)).stream(1)
    assert s.step(np.ones((1, 2))).shape == (1, 3) and s.net.hidden_size == 3


BIG = recur.from_torch(torch.nn.LSTM(64, 256))


def stepping(stream, x, started, stop=None):
    """A thread stepping stream on x once, or until stop is set (calls refused because the
    main thread had the stream are retried)."""
    def work():
        started.set()
        while True:
            try:
                stream.step(x)
            except RuntimeError:
                continue
            if stop is None or stop.is_set():
                return
    return threading.Thread(target=work)


def test_the_gil_is_released_during_a_step():
    x, s = np.ones((3000, 1, 64), np.float32), BIG.stream(1, num_threads=1)
    y = np.empty((3000, 1, 256), np.float32)
    assert seen_mid_call(lambda: s.step(x, out=y), y)


def test_two_streams_step_at_once():
    x = np.ones((1500, 1, 64), np.float32)
    want = BIG.stream(1, num_threads=1).step(x)
    results = []

    def work(i):
        results.append(BIG.stream(1, num_threads=1).step(x))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    for y in results:
        assert_same_bits(y, want)


def test_a_second_thread_is_refused_while_one_steps():
    s = BIG.stream(1, num_threads=1)
    x, started, stop = np.ones((200, 1, 64), np.float32), threading.Event(), threading.Event()
    worker = stepping(s, x, started, stop)
    worker.start()
    started.wait()
    refused = {}
    try:
        for name, call in [("step", lambda: s.step(x[:1])), ("reset", lambda: s.reset(0)),
                           ("state", lambda: s.state),
                           ("set state", lambda: setattr(s, "state", (None, None)))]:
            for _ in range(10**6):  # until one call lands during a step
                try:
                    call()
                except RuntimeError as e:
                    refused[name] = str(e)
                    break
    finally:
        stop.set()
        worker.join()
    assert len(refused) == 4 and all("another thread" in m for m in refused.values()), refused
    assert not s.closed


@settings(max_examples=300)
@given(x=st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int8, np.bool_, np.float16]),
               hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)),
    st.lists(st.floats(), max_size=4), st.none(), st.text(max_size=3), st.integers(),
    st.just(np.zeros((2, 2, 3), np.float32)), st.just(np.zeros((2, 3), np.float32))),
    out=st.one_of(st.none(), st.integers(),
                  hnp.arrays(st.sampled_from([np.float32, np.float64]),
                             hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))))
def test_step_takes_any_garbage(x, out):
    s = NET.stream(2)
    try:
        with np.errstate(all="ignore"):  # float64 past float32's range converts to inf
            y = s.step(x, out=out)
    except (TypeError, ValueError, recur.RecurError):
        return
    assert y.dtype == np.float32 and y.shape[-2:] == (2, 4)
