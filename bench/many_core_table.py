#!/usr/bin/env python3
"""many_core_table.py RECUR.json TORCH.json ORT.json [OLD.json]: a markdown table of recur
against the best of oneDNN (from recur bench --vs-onednn), PyTorch and ONNX Runtime per case and
thread count, with the geometric means; OLD.json (another recur bench --json) adds a column of
the earlier recur's times. Ratios > 1: recur is faster."""
import json
import math
import sys


def key(r):
    cell = "bilstm" if r.get("directions", 1) == 2 else r["cell"]
    return (cell, r["T"], r["B"], r["H"], r["threads"])


def recur_rows(path):
    rows = {}
    for r in json.load(open(path))["results"]:
        dnn = [v["median_ms"] for v in (r.get("onednn") or {}).values() if v]
        rows[key(r)] = (r["recur"]["median_ms"], min(dnn) if dnn else None, r["gflops"], r["pct_peak"])
    return rows


def peer_rows(path, name):
    return {key(r): r[name + "_ms"] for r in json.load(open(path))["results"] if name + "_ms" in r}


def main():
    recur = recur_rows(sys.argv[1])
    torch, ort = peer_rows(sys.argv[2], "torch"), peer_rows(sys.argv[3], "ort")
    old = recur_rows(sys.argv[4]) if len(sys.argv) > 4 else {}
    head = "| case (T,B,H) | threads | recur ms | GFLOP/s | %peak | oneDNN ms | PyTorch ms | ORT ms | recur vs best |"
    if old:
        head += " earlier recur ms |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    logs = {}
    for k in sorted(recur, key=lambda k: (k[0], k[2], k[3], k[1], k[4])):
        ms, dnn, gf, pct = recur[k]
        peers = [p for p in (dnn, torch.get(k), ort.get(k)) if p]
        ratio = min(peers) / ms if peers else None
        if ratio:
            logs.setdefault(k[4], []).append(math.log(ratio))
        cells = [f"{k[0]} ({k[1]},{k[2]},{k[3]})", str(k[4]), f"{ms:.3f}", f"{gf:.0f}", f"{pct:.0f}"]
        cells += [f"{v:.3f}" if v else "-" for v in (dnn, torch.get(k), ort.get(k))]
        cells.append(f"{ratio:.2f}x" if ratio else "-")
        if old:
            cells.append(f"{old[k][0]:.3f}" if k in old else "-")
        print("| " + " | ".join(cells) + " |")
    print()
    for t, v in sorted(logs.items()):
        wins = sum(x > 0 for x in v)
        print(f"- {t} threads: geometric mean {math.exp(sum(v) / len(v)):.2f}x the best peer, faster on {wins} of {len(v)}")


if __name__ == "__main__":
    main()
