#!/usr/bin/python3
"""Runs one recur network over a large batch on a Dask cluster, a chunk of sequences per task.

    PYTHONPATH=build/python /usr/bin/python3 examples/dask_batch.py MODEL.safetensors X.npy \
        -o Y.npy [--hn HN.npy] [--cn CN.npy] [--lengths L.npy] [--batch-first | --time-first] \
        [--chunk 64]

x is split along its batch axis with dask.array; each chunk runs as one
`net(chunk, num_threads=1)` call in one of 2 local worker processes (one thread each, so the
workers together use 2 cores; see docs/python.md "Across processes"). The network
travels to the workers pickled (its model bytes), once per worker. Sequences are independent
and recur's results do not depend on the batch size, so y, h_n and c_n are bitwise those of one
`net(x)` call (tests/python/test_dask.py checks it).
"""
import contextlib
import logging
import operator

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import batch_cli
import recur


@contextlib.contextmanager
def local_cluster(n_workers=2, timeout="60s"):
    """A Client on n_workers local worker processes of one thread each, on the loopback
    interface, without dashboards, closed on exit: runs on a machine with no network."""
    with (dask.config.set({"distributed.comm.timeouts.connect": timeout}),
          LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                       host="127.0.0.1", dashboard_address=None,
                       silence_logs=logging.ERROR) as cluster,
          Client(cluster, timeout=timeout) as client):
        yield client


def _run_chunk(net, x, lengths):
    """One chunk's forward pass, its outputs as one tuple (y, h_n[, c_n])."""
    y, state = net(np.ascontiguousarray(x), lengths=lengths, num_threads=1)
    return (y,) + (state if isinstance(state, tuple) else (state,))


def forward(client, net, x, chunk, lengths=None):
    """net(x, lengths=lengths) computed chunk sequences at a time on client's workers:
    (y, h_n) or (y, (h_n, c_n)) as numpy arrays, bitwise those of one net(x) call."""
    # Index letters: t steps, b batch, i inputs, o outputs, s layers x directions, h state.
    # blockwise (map_blocks' general form) lets the batch sit on axis 0 or 1 of x and y and
    # on axis 1 of the states; one task per chunk returns all outputs as a tuple, which
    # per-output getitem tasks then split (as dask's own apply_gufunc does).
    x_index = "bti" if net.batch_first else "tbi"
    steps = x.shape[x_index.index("t")]
    x = da.asarray(x).rechunk(tuple(chunk if axis == "b" else -1 for axis in x_index))
    if lengths is not None:
        lengths = da.asarray(lengths).rechunk((x.chunks[x_index.index("b")],))
    net_on_workers = client.scatter(net, broadcast=True, hash=False)
    outputs = da.blockwise(_run_chunk, "b", net_on_workers, None, x, x_index,
                           lengths, None if lengths is None else "b",
                           concatenate=True, meta=np.empty((0,), object))
    directions = 2 if net.bidirectional else 1
    h_out = net.proj_size or net.hidden_size
    shapes = [(x_index.replace("i", "o"), {"t": steps, "o": directions * h_out}),
              ("sbh", {"s": net.num_layers * directions, "h": h_out})]
    if net.cell == "lstm":
        shapes.append(("sbh", {"s": net.num_layers * directions, "h": net.hidden_size}))
    arrays = [da.blockwise(operator.itemgetter(k), index, outputs, "b", new_axes=sizes,
                           dtype=np.float32, meta=np.empty((0,) * 3, np.float32))
              for k, (index, sizes) in enumerate(shapes)]
    y, *state = client.compute(arrays, sync=True)
    return y, (tuple(state) if net.cell == "lstm" else state[0])


def main():
    parser = batch_cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=64, help="sequences per task (64)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    args = parser.parse_args()
    problem = batch_cli.output_problem(args)
    if problem:
        parser.exit(1, f"{parser.prog}: {problem}\n")
    net = recur.load(args.model, batch_first=args.batch_first)
    x = np.load(args.input)
    lengths = np.load(args.lengths) if args.lengths else None
    with local_cluster(args.workers) as client:
        y, state = forward(client, net, x, args.chunk, lengths)
    batch_cli.save_outputs(args, y, state)


if __name__ == "__main__":
    main()
