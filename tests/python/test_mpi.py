"""examples/mpi_batch.py under `mpirun -np 2`: the batch shared between 2 ranks gives bitwise
the y, h_n and c_n of one net(x) call in one process, and each rank sizes its threads to its
share of the cores."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import recur

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from export_torch import export  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "mpi_batch.py")
# What mpirun needs in a fresh Debian container run as root, with no ssh and no network
# interface but loopback: consent to run as root, a launcher that forks locally instead of
# looking for ssh, shared memory between the ranks (no TCP, InfiniBand or UCX probing), and no
# single-copy (CMA) transfers, which a container's missing ptrace capability refuses.
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_plm": "isolated", "OMPI_MCA_btl": "self,vader", "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
}
MODULES = {
    "bilstm2": lambda: torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True),
    "lstm_proj": lambda: torch.nn.LSTM(6, 8, proj_size=5, batch_first=True),
    "gru": lambda: torch.nn.GRU(6, 8, num_layers=2, batch_first=True),
    "rnn_relu": lambda: torch.nn.RNN(6, 8, nonlinearity="relu", bidirectional=True),
}
BATCH, STEPS = 9, 7  # 5 and 4 sequences


def run_ranks(tmp_path, *args, bind="none"):
    """Runs the example on 2 ranks with --verbose: the finished process."""
    command = ["mpirun", "-np", "2", "--oversubscribe", "--bind-to", bind, "-x", "PYTHONPATH",
               sys.executable, EXAMPLE, *map(str, args), "--verbose"]
    # The ranks import the recur this test compares with.
    env = {**os.environ, **MPI_ENV, "PYTHONPATH": os.path.dirname(os.path.dirname(recur.__file__))}
    return subprocess.run(command, env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def mpirun(tmp_path, *args, bind="none"):
    """Runs the example on 2 ranks with --verbose: {rank: threads}."""
    done = run_ranks(tmp_path, *args, bind=bind)
    assert done.returncode == 0, done.stdout + done.stderr
    threads = dict(map(int, m) for m in re.findall(r"^rank (\d+) \(pid \d+\): (\d+) threads",
                                                   done.stdout, re.M))
    assert sorted(threads) == [0, 1], done.stdout
    return threads


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("name", MODULES)
def test_ranks_give_one_processs_bits(tmp_path, name, with_lengths):
    torch.manual_seed(11)
    module = MODULES[name]()
    export(module, str(tmp_path / "model.safetensors"))
    shape = (BATCH, STEPS, 6) if module.batch_first else (STEPS, BATCH, 6)
    x = np.random.default_rng(11).standard_normal(shape, dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    args = ["model.safetensors", "x.npy", "-o", "y.npy", "--hn", "hn.npy", "--cn", "cn.npy"]
    lengths = None
    if with_lengths:
        lengths = np.array([7, 1, 3, 7, 5, 2, 6, 4, 1], np.int64)
        np.save(tmp_path / "lengths.npy", lengths)
        args += ["--lengths", "lengths.npy"]
    mpirun(tmp_path, *args)  # no layout flag: the file's, the module's
    net = recur.load(str(tmp_path / "model.safetensors"))
    want_y, want_state = net(x, lengths=lengths)
    y = np.load(tmp_path / "y.npy")
    assert y.shape == want_y.shape and np.abs(y).max() > 0.01
    assert np.array_equal(y, want_y)
    lstm = isinstance(module, torch.nn.LSTM)
    assert np.array_equal(np.load(tmp_path / "hn.npy"), want_state[0] if lstm else want_state)
    if lstm:
        assert np.array_equal(np.load(tmp_path / "cn.npy"), want_state[1])
    else:
        assert not (tmp_path / "cn.npy").exists()


def test_threads_share_the_cores(tmp_path):
    torch.manual_seed(3)
    export(torch.nn.GRU(6, 8), str(tmp_path / "model.safetensors"))
    np.save(tmp_path / "x.npy", np.ones((STEPS, BATCH, 6), np.float32))
    args = ["model.safetensors", "x.npy", "-o", "y.npy"]
    cores = len(os.sched_getaffinity(0))
    # Unbound, both ranks may run on every core: each takes half.
    assert mpirun(tmp_path, *args) == {0: max(1, cores // 2), 1: max(1, cores // 2)}
    # Each bound to one core: one thread each, whatever the node has.
    assert mpirun(tmp_path, *args, bind="core:overload-allowed") == {0: 1, 1: 1}


def test_outputs_are_checked_first(tmp_path):
    """An output no rank could write stops every rank before the model is even read (it does
    not exist here: the error is the output's)."""
    (tmp_path / "file").write_bytes(b"")
    for out in ["no/such/y.npy", "file/y.npy"]:
        done = run_ranks(tmp_path, "missing.safetensors", "missing.npy", "-o", out)
        assert done.returncode != 0
        assert f"mpi_batch.py: cannot write {out}:" in done.stderr, done.stderr
        assert "missing.safetensors" not in done.stdout + done.stderr


def test_a_failing_rank_ends_them_all(tmp_path):
    """Rank 0 cannot read the model: the job ends with its error, no rank left waiting."""
    done = run_ranks(tmp_path, "missing.safetensors", "missing.npy", "-o", "y.npy")
    assert done.returncode != 0
    assert "missing.safetensors" in done.stderr, done.stderr
