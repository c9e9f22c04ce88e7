#!/usr/bin/env python3
"""recur's bf16 against its fp32 and against oneDNN's fp32 and bf16 paths, from one
`recur bench --precision fp32,bf16 --vs-onednn --json` run.

Usage: precision_table.py BENCH.json
Prints a Markdown table per case and thread count: recur fp32 and bf16 ms, fp32 / bf16, the
oneDNN times (the faster of its default and AVX2-capped runs, per precision) and the best
oneDNN time / recur bf16 (> 1: recur bf16 is faster).
"""
import json
import sys


def onednn_ms(row):
    runs = [r["median_ms"] for r in (row["onednn"].get("default"), row["onednn"].get("avx2")) if r]
    return min(runs) if runs else None


def main():
    rows = {}
    for r in json.load(open(sys.argv[1]))["results"]:
        key = (r["cell"], r["T"], r["B"], r["H"], r["threads"])
        rows.setdefault(key, {})[r["precision"]] = r
    print("| case (T,B,H) | threads | recur fp32 ms | recur bf16 ms | fp32 / bf16 "
          "| oneDNN fp32 ms | oneDNN bf16 ms | best oneDNN / recur bf16 |")
    print("|---|---|---|---|---|---|---|---|")
    for (cell, T, B, H, threads), by in sorted(rows.items()):
        if "fp32" not in by or "bf16" not in by:
            continue
        f, b = by["fp32"]["recur"]["median_ms"], by["bf16"]["recur"]["median_ms"]
        of, ob = onednn_ms(by["fp32"]), onednn_ms(by["bf16"])
        peers = [x for x in (of, ob) if x]
        vs = f"{min(peers) / b:.2f}" if peers else "-"
        fmt = lambda x: f"{x:.2f}" if x else "-"
        print(f"| {cell} ({T},{B},{H}) | {threads} | {f:.2f} | {b:.2f} | {f / b:.2f} "
              f"| {fmt(of)} | {fmt(ob)} | {vs} |")


if __name__ == "__main__":
    main()
