"""Threads: the GIL is released during a call, Python threads sharing one net get the bits
of one thread, close() while calls run is safe, and num_threads never changes a bit."""
import threading

import numpy as np
import pytest
import torch

import recur
from support import assert_same_bits, flat_outputs, seen_mid_call

RNG = np.random.default_rng(42)
NET = recur.from_torch(torch.nn.LSTM(8, 32, num_layers=2, bidirectional=True))
INPUTS = [RNG.standard_normal((int(RNG.integers(1, 20)), int(RNG.integers(1, 6)), 8),
                              np.float32) for _ in range(16)]


def run_threads(n, target):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_threads_sharing_a_net_give_the_sequential_bits():
    want = [flat_outputs(NET(x, num_threads=1)) for x in INPUTS]
    errors = []

    def work(i):
        try:
            for k in range(40):
                j = (i * 7 + k) % len(INPUTS)
                for a, b in zip(flat_outputs(NET(INPUTS[j], num_threads=1 + k % 3)), want[j]):
                    assert_same_bits(a, b)
        except Exception as e:  # reported by the main thread
            errors.append(e)

    run_threads(8, work)
    assert not errors, errors[0]


@pytest.mark.parametrize("threads", [2, 3, 4, 16])
def test_num_threads_changes_no_bit(threads):
    for x in INPUTS[:4]:
        want = flat_outputs(NET(x, num_threads=1))
        for a, b in zip(flat_outputs(NET(x, num_threads=threads)), want):
            assert_same_bits(a, b)


def test_set_num_threads_changes_no_bit():
    x = INPUTS[0]
    want = flat_outputs(NET(x))
    try:
        for n in (1, 2, 0):
            recur.set_num_threads(n)
            for a, b in zip(flat_outputs(NET(x)), want):
                assert_same_bits(a, b)
    finally:
        recur.set_num_threads(0)


def test_the_gil_is_released_during_a_call():
    net = recur.from_torch(torch.nn.LSTM(64, 256))
    x, y = np.ones((3000, 1, 64), np.float32), np.empty((3000, 1, 256), np.float32)
    assert seen_mid_call(lambda: net(x, num_threads=1, out=y), y)


def test_close_while_calls_run_is_safe():
    net = recur.from_torch(torch.nn.GRU(16, 64, num_layers=2))
    x = np.ones((50, 4, 16), np.float32)
    want = net(x)[0]
    results, errors = [], []
    going = threading.Barrier(5)

    def work(i):
        going.wait()
        while True:
            try:
                y, _ = net(x)
            except ValueError as e:  # the net was closed
                assert "closed" in str(e)
                return
            except Exception as e:
                errors.append(e)
                return
            results.append(np.array_equal(y, want))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    going.wait()
    while len(results) < 20 and not errors:
        threading.Event().wait(0.001)
    net.close()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert all(results) and net.closed
    with pytest.raises(ValueError, match="closed"):
        net(x)
