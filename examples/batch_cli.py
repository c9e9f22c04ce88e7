"""The command line that examples/dask_batch.py and examples/mpi_batch.py share: a model, an
input x.npy and the files their outputs go to. Imported from beside them (a script's own folder
is first on sys.path)."""
import argparse
import os

import numpy as np


def parser(description):
    """An ArgumentParser with the shared arguments: model, input, -o/--output, --hn, --cn,
    --lengths and --batch-first or --time-first (args.batch_first True or False; None: the
    layout the model records, as recur.load takes it); a script adds its own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--hn")
    p.add_argument("--cn")
    p.add_argument("--lengths")
    layout = p.add_mutually_exclusive_group()
    layout.add_argument("--batch-first", dest="batch_first", action="store_const", const=True,
                        help="x and y are (B, T, ...), whatever the model records")
    layout.add_argument("--time-first", dest="batch_first", action="store_const", const=False,
                        help="x and y are (T, B, ...), whatever the model records")
    return p


def output_problem(args):
    """Why an output could not be written, checked before any work (None: each can): its
    folder is missing, is not a folder or may not be written to, or a folder is at its path."""
    for path in filter(None, (args.output, args.hn, args.cn)):
        folder = os.path.dirname(path) or "."
        if os.path.isdir(path):
            return f"cannot write {path}: it is a folder"
        if not os.path.isdir(folder):
            return f"cannot write {path}: no folder {folder}"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"cannot write {path}: {folder} is not writable"
    return None


def save_outputs(args, y, state):
    """Saves y to args.output, and h_n and c_n (state: h_n, or (h_n, c_n) for an LSTM) to
    args.hn and args.cn where given."""
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    np.save(args.output, y)
    if args.hn:
        np.save(args.hn, h_n)
    if args.cn and c_n is not None:
        np.save(args.cn, c_n)
