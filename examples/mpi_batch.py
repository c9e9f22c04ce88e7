#!/usr/bin/python3
"""Runs one recur network over a batch shared out among MPI ranks.

    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm=isolated \
      OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
      mpirun -np 2 --bind-to none -x PYTHONPATH=build/python /usr/bin/python3 \
        examples/mpi_batch.py MODEL.safetensors X.npy -o Y.npy [--hn HN.npy] [--cn CN.npy] \
        [--lengths L.npy] [--batch-first | --time-first] [--verbose]

(the variables: what Open MPI needs as root in a container with no ssh and no network but
loopback; README "Across processes: Dask and MPI").

Rank 0 loads the model and the input; the network reaches the other ranks pickled (its model
bytes) by one bcast, and each rank gets a contiguous share of the batch's sequences by
Scatterv. Each rank runs one net(share) call with its share of the node's cores
(threads_per_rank), and rank 0 gathers y, h_n and c_n by Gatherv straight into their places
in the full arrays: sequences are independent and recur's results do not depend on the batch
size, so they are bitwise those of one net(x) call (tests/python/test_mpi.py checks it).
Prints nothing unless --verbose.
"""
import os
import time
import traceback

import numpy as np
from mpi4py import MPI
from mpi4py.util.dtlib import from_numpy_dtype

import batch_cli
import recur


def threads_per_rank(comm):
    """This rank's share of its node's cores: the CPUs the node's ranks may run on, divided
    among them, and no more than this rank's own affinity (mpirun may bind each rank to
    fewer), at least 1."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    mine = os.sched_getaffinity(0)
    node_cpus = set().union(*node.allgather(mine))
    return max(1, min(len(mine), len(node_cpus) // node.Get_size()))


def shares(batch, ranks):
    """(counts, offsets): each rank's number of sequences, as even as possible, and its first."""
    counts = [batch // ranks + (r < batch % ranks) for r in range(ranks)]
    return counts, [sum(counts[:r]) for r in range(ranks)]


def row_type(steps, batch, width, mpi_type):
    """The MPI type of one sequence of a C-order (steps, batch, width) array: steps runs of width
    values, batch * width apart, its extent resized to width values, so that sequence k+1
    starts where sequence k's first run ends and counts and offsets are in sequences."""
    extent = width * mpi_type.Get_extent()[1]
    vector = mpi_type.Create_vector(steps, width, batch * width)
    resized = vector.Create_resized(0, extent)
    vector.Free()
    return resized.Commit()


def as_rows(array, batch_axis):
    """array viewed as (steps, batch, width), its batch on axis 1: a batch-first (B, T, W) array
    (or a (B,) vector) is one step of B rows of T * W values (or of one)."""
    if batch_axis == 0:
        return array.reshape(1, array.shape[0], -1)
    return array.reshape(array.shape[0], array.shape[1], -1)


def exchange(comm, counts, offsets, full, local, root=0, scatter=False):
    """Gathers each rank's local (steps, b_r, width) rows into full (steps, B, width) on root,
    or with scatter=True the other way; full is only read or written on root. One derived type
    per side places the rows: no packing copy on either side."""
    steps, rows, width = local.shape
    mpi_type = from_numpy_dtype(local.dtype)
    mine = row_type(steps, rows, width, mpi_type)
    whole = row_type(steps, sum(counts), width, mpi_type) if comm.rank == root else None
    local_spec = [local, rows, mine]
    full_spec = [full, counts, offsets, whole] if comm.rank == root else None
    if scatter:
        comm.Scatterv(full_spec, local_spec, root=root)
    else:
        comm.Gatherv(local_spec, full_spec, root=root)
    for t in (mine, whole):
        if t is not None:
            t.Free()


def forward(comm, net, x, lengths=None, num_threads=1, root=0):
    """net(x, lengths=lengths) with the batch shared out among comm's ranks, each running on
    num_threads threads: on root (y, h_n) or (y, (h_n, c_n)), bitwise those of one net(x)
    call; None on the other ranks. net, x and lengths are read on root only."""
    net = comm.bcast(net, root=root)
    batch_axis = 0 if net.batch_first else 1
    if comm.rank == root:
        x = np.ascontiguousarray(x, np.float32)
    shape, has_lengths = comm.bcast((x.shape, lengths is not None) if comm.rank == root else None,
                                    root=root)
    if shape[batch_axis] < comm.size:
        raise ValueError(f"a batch of {shape[batch_axis]} among {comm.size} ranks: "
                         "each rank needs at least one sequence")
    counts, offsets = shares(shape[batch_axis], comm.size)
    mine = counts[comm.rank]
    local_shape = list(shape)
    local_shape[batch_axis] = mine
    local_x = np.empty(local_shape, np.float32)
    exchange(comm, counts, offsets, as_rows(x, batch_axis) if comm.rank == root else None,
             as_rows(local_x, batch_axis), root, scatter=True)
    local_lengths = None
    if has_lengths:
        local_lengths = np.empty(mine, np.int64)
        all_lengths = np.ascontiguousarray(lengths, np.int64) if comm.rank == root else None
        exchange(comm, counts, offsets, as_rows(all_lengths, 0) if comm.rank == root else None,
                 as_rows(local_lengths, 0), root, scatter=True)
    y, state = net(local_x, lengths=local_lengths, num_threads=num_threads)
    states = state if net.cell == "lstm" else (state,)
    local_outputs = [(y, batch_axis)] + [(s, 1) for s in states]
    gathered = []
    for out, axis in local_outputs:
        full_shape = list(out.shape)
        full_shape[axis] = shape[batch_axis]
        full = np.empty(full_shape, out.dtype) if comm.rank == root else None
        exchange(comm, counts, offsets, None if full is None else as_rows(full, axis),
                 as_rows(out, axis), root)
        gathered.append(full)
    if comm.rank != root:
        return None
    y, *state = gathered
    return y, (tuple(state) if net.cell == "lstm" else state[0])


def main():
    parser = batch_cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true",
                        help="a line per rank: its threads and seconds")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    problem = comm.bcast(batch_cli.output_problem(args) if comm.rank == 0 else None)
    if problem:  # every rank stops; rank 0 says why
        parser.exit(1, f"{parser.prog}: {problem}\n" if comm.rank == 0 else None)
    net = x = lengths = None
    if comm.rank == 0:
        net = recur.load(args.model, batch_first=args.batch_first)
        x = np.load(args.input)
        lengths = np.load(args.lengths) if args.lengths else None
    threads = threads_per_rank(comm)
    start = time.perf_counter()
    result = forward(comm, net, x, lengths, threads)
    seconds = time.perf_counter() - start
    if args.verbose:
        report = comm.gather((os.getpid(), threads, seconds))
        for rank, (pid, n, s) in enumerate(report or []):
            print(f"rank {rank} (pid {pid}): {n} threads, {s:.3f} s")
    if result is None:
        return
    batch_cli.save_outputs(args, *result)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # the other ranks would wait for this one forever: end them all
        traceback.print_exc()
        MPI.COMM_WORLD.Abort(1)
