#!/usr/bin/env python3
"""Old against new `recur bench --json` runs, alternated run by run (bench/ab.sh runs them).

Usage: ab_table.py OLD_LABEL NEW_LABEL DIR
DIR holds old<i>.json and new<i>.json. Prints a Markdown table of each case's median time over
the runs of each side, old / new (> 1: new is faster), and per thread count the geometric mean,
least and largest ratio.
"""
import glob
import json
import math
import os
import statistics
import sys


def load(pattern):
    times = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            for r in json.load(f)["results"]:
                cell = r["cell"] if r["cell"].startswith("bi") or r["directions"] == 1 else "bi" + r["cell"]
                key = (cell, r["T"], r["B"], r["H"], r["threads"])
                times.setdefault(key, []).append(r["recur"]["median_ms"])
    return {k: statistics.median(v) for k, v in times.items()}, len(glob.glob(pattern))


def main():
    old_label, new_label, folder = sys.argv[1:4]
    old, runs = load(os.path.join(folder, "old*.json"))
    new, _ = load(os.path.join(folder, "new*.json"))
    keys = sorted(old.keys() & new.keys(), key=lambda k: (k[0], k[1:]))
    print(f"| case (T,B,H) | threads | {old_label} ms | {new_label} ms | {old_label} / {new_label} |")
    print("|---|---|---|---|---|")
    ratios = {}
    for k in keys:
        ratio = old[k] / new[k]
        ratios.setdefault(k[4], []).append(ratio)
        print(f"| {k[0]} ({k[1]},{k[2]},{k[3]}) | {k[4]} | {old[k]:.3f} | {new[k]:.3f} | {ratio:.2f} |")
    print()
    for threads, rs in sorted(ratios.items()):
        geo = math.exp(sum(math.log(r) for r in rs) / len(rs))
        print(f"- threads {threads}: geomean {old_label} / {new_label} {geo:.3f}, "
              f"min {min(rs):.2f}, max {max(rs):.2f}, {runs} rounds each")


if __name__ == "__main__":
    main()
