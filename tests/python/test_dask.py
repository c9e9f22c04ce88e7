"""examples/dask_batch.py: a batch shared among 2 local Dask worker processes gives bitwise the
y, h_n and c_n of one net(x) call."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import recur

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
sys.path.insert(0, EXAMPLES)
from dask_batch import forward, local_cluster  # noqa: E402

BATCH, STEPS, CHUNK = 10, 7, 3  # chunks of 3, 3, 3 and 1 sequences over 2 workers

MODULES = {
    "bilstm2": lambda: torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True),
    "lstm_proj": lambda: torch.nn.LSTM(6, 8, proj_size=5, batch_first=True),
    "gru": lambda: torch.nn.GRU(6, 8, num_layers=2, batch_first=True),
    "rnn_relu": lambda: torch.nn.RNN(6, 8, nonlinearity="relu", bidirectional=True),
}


@pytest.fixture(scope="module")
def client():
    with local_cluster(n_workers=2) as c:
        yield c


def test_two_worker_processes_of_one_thread(client):
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    assert [w["nthreads"] for w in client.scheduler_info()["workers"].values()] == [1, 1]


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("name", MODULES)
def test_chunks_give_one_calls_bits(client, name, with_lengths):
    torch.manual_seed(7)
    module = MODULES[name]()
    net = recur.from_torch(module)
    shape = (BATCH, STEPS, 6) if module.batch_first else (STEPS, BATCH, 6)
    x = np.random.default_rng(7).standard_normal(shape, dtype=np.float32)
    lengths = np.array([7, 1, 3, 7, 5, 2, 6, 7, 4, 1], np.int64) if with_lengths else None
    y, state = forward(client, net, x, CHUNK, lengths)
    want_y, want_state = net(x, lengths=lengths)
    assert y.shape == want_y.shape and np.abs(y).max() > 0.01
    assert np.array_equal(y, want_y)
    states = state if isinstance(module, torch.nn.LSTM) else (state,)
    want_states = want_state if isinstance(module, torch.nn.LSTM) else (want_state,)
    assert len(states) == len(want_states)
    for got, want in zip(states, want_states):
        assert got.shape == want.shape and np.array_equal(got, want)


def test_outputs_are_checked_first(tmp_path):
    """An output it could not write stops the command before the model is even read (it does
    not exist here: the error is the output's) and before any worker starts."""
    (tmp_path / "file").write_bytes(b"")
    (tmp_path / "taken.npy").mkdir()
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(recur.__file__))}
    for out in ["no/such/y.npy", "file/y.npy", "taken.npy"]:
        done = subprocess.run([sys.executable, os.path.join(EXAMPLES, "dask_batch.py"),
                               "missing.safetensors", "missing.npy", "-o", out],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stdout + done.stderr
        assert done.stderr.startswith(f"dask_batch.py: cannot write {out}:"), done.stderr
