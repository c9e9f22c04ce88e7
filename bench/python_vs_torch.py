#!/usr/bin/python3
"""recur from Python against PyTorch's own module on the DeepBench shapes of `recur bench`
(tools/recur/bench_spec.c): one layer, fp32, random weights, recur.from_torch(module) against
module(x) under inference_mode, the same thread count for both (num_threads=n per call,
torch.set_num_threads(n)). Per case and thread count: the median forward time of each, the two
taking turns run by run, GFLOP/s (2 T B G H (I + H) per direction) and recur's speed over
torch's. Each case's outputs are checked against torch's first (1e-4 + 1e-4 |torch|).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_vs_torch.py [--quick] [--threads 1,2]
        [--cells rnn,lstm,gru,bilstm]
"""
import argparse
import math

import numpy as np
import torch

import recur
from timing import alternate, flops, versions

# (T, B, I = H): DeepBench's inference shapes, as `recur bench` runs them; bilstm runs one.
SHAPES = [(50, 1, 512), (50, 4, 512), (50, 16, 512), (25, 64, 1024), (100, 32, 512),
          (150, 1, 256), (25, 1, 1536)]
BILSTM_SHAPE = (50, 16, 512)
QUICK_MAX_BATCH = 16  # --quick leaves out the two large batches (5-15 s a run for torch here)
MODULES = {
    "rnn": lambda size, **kw: torch.nn.RNN(size, size, **kw),
    "lstm": lambda size, **kw: torch.nn.LSTM(size, size, **kw),
    "gru": lambda size, **kw: torch.nn.GRU(size, size, **kw),
    "bilstm": lambda size, **kw: torch.nn.LSTM(size, size, bidirectional=True, **kw),
}


def cases(cells, quick):
    for cell in cells:
        for T, B, size in [BILSTM_SHAPE] if cell == "bilstm" else SHAPES:
            if not (quick and B > QUICK_MAX_BATCH):
                yield cell, T, B, size


def check(net, module, x):
    with torch.inference_mode():
        want = module(torch.from_numpy(x))[0].numpy()
    got = net(x)[0]
    if not np.all(np.abs(got - want) <= 1e-4 + 1e-4 * np.abs(want)):
        raise SystemExit(f"recur and torch disagree: max |diff| {np.abs(got - want).max()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"2 runs each, batches up to {QUICK_MAX_BATCH} only")
    parser.add_argument("--threads", default="1,2", help="thread counts (1,2)")
    parser.add_argument("--cells", default="rnn,lstm,gru,bilstm")
    args = parser.parse_args()
    threads = [int(n) for n in args.threads.split(",")]
    min_runs, min_seconds = (2, 0.0) if args.quick else (3, 0.3)
    print(versions(torch))
    print(f"median of >= {min_runs} runs and >= {min_seconds} s per case, recur and torch "
          "alternating; speed = torch ms / recur ms (> 1: recur is faster)\n")
    print("| cell | T | B | I = H | threads | recur ms | recur GFLOP/s | torch ms | "
          "torch GFLOP/s | recur/torch speed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    speeds = {n: [] for n in threads}
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    for cell, T, B, size in cases(args.cells.split(","), args.quick):
        module = MODULES[cell](size).eval()
        net = recur.from_torch(module)
        x = rng.uniform(-1, 1, (T, B, size)).astype(np.float32)
        x_torch = torch.from_numpy(x)
        check(net, module, x)
        work = flops("lstm" if cell == "bilstm" else cell, T, B, size, size,
                     2 if cell == "bilstm" else 1)
        for n in threads:
            torch.set_num_threads(n)
            with torch.inference_mode():
                median = alternate({"recur": lambda: net(x, num_threads=n),
                                    "torch": lambda: module(x_torch)}, min_runs, min_seconds)
            speed = median["torch"] / median["recur"]
            speeds[n].append(speed)
            print(f"| {cell} | {T} | {B} | {size} | {n} | {1e3 * median['recur']:.3f} | "
                  f"{work / median['recur'] / 1e9:.1f} | {1e3 * median['torch']:.3f} | "
                  f"{work / median['torch'] / 1e9:.1f} | {speed:.2f} |", flush=True)
    for n, s in speeds.items():
        print(f"\n{n} thread(s): recur/torch speed, geometric mean over {len(s)} cases: "
              f"{math.exp(sum(map(math.log, s)) / len(s)):.2f}x")


if __name__ == "__main__":
    main()
