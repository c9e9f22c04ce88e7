#!/usr/bin/env python3
"""Markdown tables for bench/RESULTS.md from bench/peers_int8.py's int8.json.

Usage: int8_table.py OUTDIR/int8.json [--subject P]
  --subject P  recur's precision that the speedups are of (default int8; bf16 or fp32 to
               read a run made before recur had int8)

The first table has a line per case and thread count: ms and max |error| against PyTorch's
fp32 output of recur at P, torch int8 (quantize_dynamic), ONNX Runtime int8 (quantize_dynamic:
DynamicQuantizeLSTM) and recur at its other precisions (fp32, bf16), then recur P's speedup
over each (their ms over recur's: > 1 = recur faster), and a geometric-mean line over the
lines where both have a time. "no int8": the peer has no int8 for that cell (int8.json's note
says why); "n/a": not measured or refused. The second table gives the peers' fp32 (and their
per-channel int8, int8-pc, when measured) for context, and recur fp32's speedup over the
peers' fp32.
"""
import json, math, os, sys

CELL_ORDER = {"rnn": 0, "lstm": 1, "gru": 2}
LABEL = {"torch": "torch", "ort": "ORT", "recur": "recur"}


def fmt_ms(ms):
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.3g}"


def fmt_err(e):
    return "n/a" if e is None else f"{e:.1e}"


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def main(argv):
    subject = "int8"
    args = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--subject" and i + 1 < len(argv):
            subject = argv[i + 1]
            i += 2
            continue
        if a.startswith("--subject="):
            subject = a.split("=", 1)[1]
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
        i += 1
    if len(args) != 1:
        sys.exit("usage: int8_table.py OUTDIR/int8.json [--subject P]")
    with open(args[0]) as f:
        rows = json.load(f)
    meta = None
    meta_path = os.path.join(os.path.dirname(os.path.abspath(args[0])), "int8_meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)

    by = {}
    cases = []
    for r in rows:
        key = (r["cell"], r["T"], r["B"], r["I"], r["H"], r["threads"])
        if key not in by:
            by[key] = {}
            cases.append(key)
        by[key][(r["peer"], r["precision"])] = r
    cases.sort(key=lambda k: (CELL_ORDER.get(k[0], 9), k[5]))  # shapes as run (stable)
    recur_precs = []
    for r in rows:
        if r["peer"] == "recur" and r["precision"] not in recur_precs:
            recur_precs.append(r["precision"])

    def cell(key, col):
        r = by[key].get(col)
        if r is None or r.get("ms") is None:
            note = (r or {}).get("note", "")
            text = "no int8" if note.startswith("no int8") else "n/a"
            return text, None, None
        return fmt_ms(r["ms"]), r["ms"], r.get("max_err")

    def table(cols, ratios, title):
        """cols: (peer, precision) with ms and error; ratios: (num col, den col) pairs, each
        num's ms over den's ms."""
        head = ["cell", "T", "B", "H", "thr"]
        for c in cols:
            head += [f"{LABEL[c[0]]} {c[1]} ms", "max err"]
        head += [f"{LABEL[d[0]]} {d[1]} ÷ {LABEL[n[0]]} {n[1]}" for (d, n) in ratios]
        out = [title, "", "| " + " | ".join(head) + " |",
               "|" + "|".join(["---"] * 5 + ["---:"] * (len(head) - 5)) + "|"]
        got = [[] for _ in ratios]
        for key in cases:
            c_, T, B, I, H, n = key
            line = [c_, str(T), str(B), str(H) if I == H else f"{H} (I {I})", str(n)]
            for c in cols:
                text, _, err = cell(key, c)
                line += [text, fmt_err(err) if err is not None or text != "n/a" else "n/a"]
                if text == "no int8":
                    line[-1] = "—"
            for j, (d, num) in enumerate(ratios):
                _, dms, _ = cell(key, d)
                _, nms, _ = cell(key, num)
                if dms and nms:
                    got[j].append(dms / nms)
                    line.append(f"{dms / nms:.2f}")
                else:
                    line.append("—")
            out.append("| " + " | ".join(line) + " |")
        gm = ["geomean", "", "", "", ""] + [""] * (2 * len(cols))
        for g in got:
            v = geomean(g)
            gm.append("—" if v is None else f"**{v:.2f}** (n={len(g)})")
        out.append("| " + " | ".join(gm) + " |")
        return out

    subj = ("recur", subject)
    others = [("recur", p) for p in ("fp32", "bf16", "int8") if p != subject and p in recur_precs]
    cols = [subj, ("torch", "int8"), ("ort", "int8")] + others
    ratios = [(c, subj) for c in cols[1:]]
    lines = []
    if meta:
        lines.append(
            f"{meta.get('recur', 'recur ?')}, torch {meta.get('torch', '?')} (quantized engine "
            f"{meta.get('torch_quantized_engine', '?')}), onnxruntime {meta.get('onnxruntime', '?')}; "
            f"threads {','.join(map(str, meta['threads']))}; median of {meta['rounds']} rounds' "
            f"medians (peers: >= {meta['min_runs']} runs and {meta['min_s']} s each); load "
            f"{meta['load_start'][0]:.2f} at start, {meta['load_end'][0]:.2f} at end on "
            f"{meta['cpus']} CPUs.")
        lines.append("")
    if subj[1] not in recur_precs:
        lines.append(f"(recur {subject} is not in this run: its columns and ratios are empty;"
                     " see --subject.)")
        lines.append("")
    lines += table(cols, ratios,
                   f"Speedups: the other's ms over recur {subject}'s (> 1 = recur {subject} "
                   "faster). Errors: max |y - y_ref| over the whole output, y_ref = PyTorch "
                   "fp32.")
    lines.append("")
    ctx_cols = [("torch", "fp32"), ("ort", "fp32")]
    for p in ("torch", "ort"):
        if any(r["peer"] == p and r["precision"] == "int8-pc" for r in rows):
            ctx_cols.append((p, "int8-pc"))
    ctx_cols.append(("recur", "fp32"))
    ctx_ratios = [(("torch", "fp32"), ("recur", "fp32")), (("ort", "fp32"), ("recur", "fp32"))]
    lines += table(ctx_cols, ctx_ratios,
                   "Context: the peers' fp32 (and per-channel int8, int8-pc, if measured); "
                   "speedups of recur fp32 over the peers' fp32.")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
