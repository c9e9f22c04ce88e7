#!/usr/bin/python3
"""Does a forward call release the GIL? Python threads each running net(x, num_threads=1) on
one network (LSTM I = H = 256, B = 16, T = 50: the arithmetic dominates), as many threads as
the process has cores (2 here), against one thread alone: calls per second, and the ratio,
which comes close to the thread count only if the calls run in parallel. As many processes
(forked, no GIL between them) show what the machine gives at the moment: on a busy machine
both ratios fall, the threads' alone means the GIL. Alternating rounds; the median ratios.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_threads.py [--threads 2]
"""
import argparse
import multiprocessing
import os
import statistics
import threading
import time

import numpy as np
import torch

import recur
from timing import take_turns, versions

T, B, SIZE = 50, 16, 256


FORK = multiprocessing.get_context("fork")


def calls_per_second(net, x, n, calls, processes=False):
    """Calls per second of n Python threads (or forked processes) each making calls calls,
    started together."""
    start = (FORK.Barrier if processes else threading.Barrier)(n + 1)

    def run():
        start.wait()
        for _ in range(calls):
            net(x, num_threads=1)

    workers = [(FORK.Process if processes else threading.Thread)(target=run) for _ in range(n)]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return n * calls / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="Python threads (default: the process's cores)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (7)")
    parser.add_argument("--calls", type=int, default=40, help="calls per thread and round (40)")
    args = parser.parse_args()
    torch.manual_seed(0)
    net = recur.from_torch(torch.nn.LSTM(SIZE, SIZE))
    x = np.random.default_rng(0).standard_normal((T, B, SIZE), dtype=np.float32)
    calls_per_second(net, x, 1, 2)  # warm-up
    n = args.threads
    runs = {"1 thread": lambda: calls_per_second(net, x, 1, args.calls),
            f"{n} threads": lambda: calls_per_second(net, x, n, args.calls),
            f"{n} processes": lambda: calls_per_second(net, x, n, args.calls, processes=True)}
    rates = take_turns(runs, args.rounds)
    print(versions())
    print(f"LSTM I = H = {SIZE}, T = {T}, B = {B}, num_threads=1 per call; {args.rounds} "
          f"alternating rounds of {args.calls} calls per thread or process")
    print("| workers | calls/s (median) | over 1 thread (median of rounds) | rounds |")
    print("|---|---|---|---|")
    for name, r in rates.items():
        ratios = [a / b for a, b in zip(r, rates["1 thread"])]
        print(f"| {name} | {statistics.median(r):.1f} | {statistics.median(ratios):.2f}x | "
              f"{' '.join(f'{q:.2f}' for q in ratios)} |")


if __name__ == "__main__":
    main()
