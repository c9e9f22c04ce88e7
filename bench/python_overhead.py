#!/usr/bin/python3
"""What a call through Python costs on top of the C API: one LSTM step (T = 1, B = 1,
I = H = 64, one thread) as net(x, (h, c)), as net(x, (h, c), out=...) into preallocated
arrays, and as recur_forward in C (build/bench/step_overhead, the same model file), in alternating
rounds; median µs per call of each, and Python's extra over C.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--build build]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import torch

import recur
from timing import median_per_call_us, take_turns, versions

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from export_torch import export  # noqa: E402

SIZE = 64
LIMIT_US = 3.0  # the most a Python call may cost over C (issue 14)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="the build folder (build)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (7)")
    parser.add_argument("--batches", type=int, default=200, help="batches per round (200)")
    parser.add_argument("--calls", type=int, default=100, help="calls per batch (100)")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "lstm64.safetensors")
        export(torch.nn.LSTM(SIZE, SIZE), model)
        net = recur.load(model)
        c_command = [os.path.join(args.build, "bench", "step_overhead"), model, str(args.batches),
                     str(args.calls)]
        x = np.ones((1, 1, SIZE), np.float32)
        h, c = np.zeros((1, 1, SIZE), np.float32), np.zeros((1, 1, SIZE), np.float32)
        out = (np.empty((1, 1, SIZE), np.float32),
               (np.empty((1, 1, SIZE), np.float32), np.empty((1, 1, SIZE), np.float32)))
        sides = {
            "C recur_forward": lambda: float(subprocess.run(
                c_command, check=True, capture_output=True, text=True).stdout),
            "Python net(x, (h, c))": lambda: median_per_call_us(
                lambda: net(x, (h, c), num_threads=1), args.batches, args.calls),
            "Python net(x, (h, c), out=...)": lambda: median_per_call_us(
                lambda: net(x, (h, c), num_threads=1, out=out), args.batches, args.calls),
        }
        rounds = take_turns(sides, args.rounds)
    print(versions())
    print(f"LSTM I = H = {SIZE}, T = 1, B = 1, 1 thread; median over {args.rounds} rounds of the "
          f"median of {args.batches} batches of {args.calls} calls")
    medians = {name: statistics.median(r) for name, r in rounds.items()}
    base = medians["C recur_forward"]
    print("| call | µs per call | over C (µs) |\n|---|---|---|")
    for name, us in medians.items():
        print(f"| {name} | {us:.2f} | {us - base:+.2f} |")
    extra = max(medians.values()) - base
    print(f"Python's most over C: {extra:.2f} µs ({'within' if extra <= LIMIT_US else 'over'} "
          f"the {LIMIT_US} µs budget)")


if __name__ == "__main__":
    main()
