"""Timing helpers shared by bench/python_*.py: medians of calls and of alternated runs,
measures taken in turns, the FLOP count of a case, and the line that says which recur and torch
a table came from."""
import os
import re
import statistics
import time

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def per_call_us(fn, calls):
    """Mean µs of one call of fn over calls back-to-back calls."""
    t0 = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - t0) / calls / 1e3


def median_per_call_us(fn, batches, calls):
    """Median over batches (after one warm-up batch) of the mean µs per call in a batch."""
    per_call_us(fn, calls)
    return statistics.median(per_call_us(fn, calls) for _ in range(batches))


def alternate(fns, min_runs, min_seconds):
    """{name: median seconds of one run}: one warm-up run each, then the functions take turns
    run by run until each has min_runs runs and min_seconds of runs, so that a busy stretch of
    a shared machine slows them alike."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    while any(len(t) < min_runs or sum(t) < min_seconds for t in times.values()):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def take_turns(measures, rounds):
    """{name: [rounds results]}: the measures (name: a function that returns a number) taken in
    turn, one each a round, so that a busy stretch of a shared machine affects them alike."""
    results = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            results[name].append(measure())
    return results


def flops(cell, T, B, I, H, directions=1):
    """2 T B G H (I + H) per direction of one layer, G = 1 (RNN), 3 (GRU), 4 (LSTM)."""
    return 2.0 * T * B * GATES[cell] * H * (I + H) * directions


def versions(torch=None):
    """recur's version and kernel table, the load average; with torch, torch's version and
    the BLAS its RNN modules call."""
    import recur
    load = " ".join(f"{l:.2f}" for l in os.getloadavg())
    line = f"recur {recur.__version__} ({recur.isa()}), load average {load}"
    if torch is not None:
        blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
        libblas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
        line += (f"; torch {torch.__version__}, BLAS_INFO={blas.group(1) if blas else '?'}, "
                 f"libblas.so.3 -> {libblas}")
    return line
