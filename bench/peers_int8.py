#!/usr/bin/env python3
"""recur's int8 (and its other precisions) against the peers' int8, on the same weights and
inputs: speed and accuracy. Peers: PyTorch's dynamic quantization
(torch.ao.quantization.quantize_dynamic, qint8: FBGEMM on x86) and ONNX Runtime's
(onnxruntime.quantization.quantize_dynamic: LSTM -> com.microsoft DynamicQuantizeLSTM), and
their fp32 for context. Run it with a python that has torch, numpy, onnx and onnxruntime
(e.g. /work/peers-venv/bin/python), after building recur (meson setup build && ninja -C build).

Usage: peers_int8.py OUTDIR THREADS [CASES] [options]
  THREADS: comma list (1 or 1,2). CASES: 'cell,T,B,I,H;...' (cell rnn|lstm|gru; one layer,
  unidirectional, time-first); default: the DeepBench inference shapes of recur bench for
  rnn, lstm and gru.
  --recur-precisions LIST  recur's precisions (default fp32,bf16,int8)
  --peer-precisions LIST   the peers' (default fp32,int8; int8-pc adds per-channel weights)
  --peers LIST             some of torch,ort,recur (default all three)
  --recur PATH             the recur command line (default: build/recur of this tree)

For each case, OUTDIR/<case>/ gets: model.safetensors (tools/export_torch.py's export of a
torch.nn.LSTM/GRU/RNN made under torch.manual_seed(0): PyTorch's default init), state.pt (the
same state_dict, for the torch child), x.npy (randn(T,B,I), seed 1), y_ref.npy (torch's fp32
output, (T,B,H)), model.onnx (the same weights as an ONNX LSTM/GRU/RNN node; gates reordered
to ONNX's iofc / zrh) and model_int8.onnx (onnxruntime.quantization.quantize_dynamic of it)
where ONNX Runtime quantizes the op.

Timing: each peer runs in a process of its own, one per case and round (ROUNDS=3 rounds, the
peers' order rotated round by round); in it, each precision in turn gets a warm-up call, then
at least MIN_RUNS (5) calls and MIN_S (0.2) s, and its median; the row's ms is the median of
the rounds' medians. recur's time is `recur bench --cells C --shapes T,B,I,H --threads N
--precision P --json` (its own policy: 5 runs and 0.3 s, the precisions in turn, its own random
weights of the same shapes), its error that of `recur run --precision P --threads N` on
model.safetensors and x.npy. Errors: max and mean |y - y_ref| over the whole output.

Output: OUTDIR/int8.json, a list of rows {cell, T, B, I, H, threads, peer, precision, ms,
gflops, max_err, mean_err} (plus rounds_ms, runs, note), GFLOP/s from FLOPs =
2*T*B*G*H*(I+H), G = 1 (RNN), 3 (GRU), 4 (LSTM). A (peer, precision) the peer does not have
for a cell is a row with ms null and a note ("no int8: ..."). OUTDIR/int8_meta.json: versions,
settings, load averages. bench/int8_table.py turns int8.json into a markdown table.
"""
import json, os, statistics, subprocess, sys, time

MIN_RUNS = int(os.environ.get("MIN_RUNS", "5"))
MIN_S = float(os.environ.get("MIN_S", "0.2"))
MAX_S = float(os.environ.get("MAX_S", "20"))  # a block stops after this, whatever MIN_RUNS
ROUNDS = int(os.environ.get("ROUNDS", "3"))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
SHAPES = ((50, 1, 512), (50, 4, 512), (50, 16, 512), (25, 64, 1024), (100, 32, 512),
          (150, 1, 256), (25, 1, 1536))
DEFAULT = [(cell, T, B, H, H) for cell in ("rnn", "lstm", "gru") for (T, B, H) in SHAPES]
PEERS = ("torch", "ort", "recur")
WEIGHT_SEED, INPUT_SEED = 0, 1


def gflop(cell, T, B, I, H):
    return 2.0 * T * B * GATES[cell] * H * (I + H) / 1e9


def case_name(case):
    cell, T, B, I, H = case
    return f"{cell}_T{T}_B{B}_I{I}_H{H}"


def errors(y, y_ref):
    import numpy as np
    y = np.asarray(y, dtype=np.float64).reshape(y_ref.shape)
    d = np.abs(y - y_ref)
    return float(d.max()), float(d.mean())


def quiet():
    """The peers' deprecation and advice warnings would bury the progress lines."""
    import logging, warnings
    warnings.filterwarnings("ignore")
    logging.getLogger().setLevel(logging.ERROR)


# ---- child: prepare the cases (weights, input, reference, ONNX models) ----

def onnx_gates(w, cell):
    """PyTorch's gate blocks (rows) in ONNX's order: LSTM ifgo -> iofc, GRU rzn -> zrh."""
    import numpy as np
    if cell == "lstm":
        i, f, g, o = np.split(w, 4, axis=0)
        return np.concatenate([i, o, f, g], 0)
    if cell == "gru":
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], 0)
    return w


def write_onnx(sd, cell, T, B, I, H, path):
    import numpy as np
    import onnx
    from onnx import helper, TensorProto, numpy_helper
    W = onnx_gates(sd["weight_ih_l0"], cell)[None]
    R = onnx_gates(sd["weight_hh_l0"], cell)[None]
    Bb = np.concatenate([onnx_gates(sd["bias_ih_l0"], cell),
                         onnx_gates(sd["bias_hh_l0"], cell)])[None]
    op = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[cell]
    attrs = {"hidden_size": H}
    if op == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's GRU
    node = helper.make_node(op, ["X", "W", "R", "B"], ["Y"], **attrs)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 1, B, H])],
        [numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), n)
         for a, n in ((W, "W"), (R, "R"), (Bb, "B"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.save(model, path)
    return op


def ort_quantize(src, dst, op, per_channel):
    """quantize_dynamic as documented (int8 weights, symmetric); None and why if the op comes
    back unquantized (ONNX Runtime has an int8 kernel for LSTM only)."""
    import onnx
    from onnxruntime.quantization import quantize_dynamic, QuantType
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=per_channel)
    ops = [(n.domain or "ai.onnx") + ":" + n.op_type for n in onnx.load(dst).graph.node]
    if ops == ["ai.onnx:" + op]:
        os.unlink(dst)
        return None, f"no int8: quantize_dynamic leaves {op} as the fp32 {op} op"
    return os.path.basename(dst), " ".join(ops)


def child_prep(args):
    quiet()
    import numpy as np
    import torch
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from export_torch import export
    out, cases, peer_precs = args["out"], args["cases"], args["peer_precisions"]
    for case in cases:
        cell, T, B, I, H = case
        d = os.path.join(out, case_name(case))
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(WEIGHT_SEED)
        m = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](I, H).eval()
        x = torch.randn(T, B, I, generator=torch.Generator().manual_seed(INPUT_SEED))
        with torch.inference_mode():
            y = m(x)[0]
        export(m, os.path.join(d, "model.safetensors"),
               extra_metadata={"seed": WEIGHT_SEED})
        torch.save(m.state_dict(), os.path.join(d, "state.pt"))
        np.save(os.path.join(d, "x.npy"), x.numpy())
        np.save(os.path.join(d, "y_ref.npy"), y.numpy())
        meta = {"ort": {}}
        if "ort" in args["peers"]:
            sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
            op = write_onnx(sd, cell, T, B, I, H, os.path.join(d, "model.onnx"))
            meta["ort"]["fp32"] = ["model.onnx", "ai.onnx:" + op]
            for prec, pc in (("int8", False), ("int8-pc", True)):
                if prec in peer_precs:
                    meta["ort"][prec] = list(ort_quantize(
                        os.path.join(d, "model.onnx"),
                        os.path.join(d, "model_" + prec.replace("-", "") + ".onnx"), op, pc))
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        print("prepared", case_name(case), file=sys.stderr, flush=True)
    return {"torch": torch.__version__, "torch_quantized_engine": torch.backends.quantized.engine}


# ---- child: time one peer on one case ----

def time_block(fn):
    """The warm-up call's output, the median seconds of one call and the number of calls."""
    y = fn()
    times = []
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - t_start
        if (len(times) >= MIN_RUNS and elapsed >= MIN_S) or elapsed > MAX_S:
            break
    return y, statistics.median(times), len(times)


def torch_models(torch, state, cell, I, H, precisions):
    """{precision: callable or note}: fp32, int8 (quantize_dynamic's default qconfig for
    qint8: per-tensor weights) and int8-pc (per_channel_dynamic_qconfig)."""
    from torch.ao.quantization import (quantize_dynamic, default_dynamic_qconfig,
                                       per_channel_dynamic_qconfig)
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]

    class Holder(torch.nn.Module):  # quantize_dynamic swaps children, never the root
        def __init__(self, rnn):
            super().__init__()
            self.rnn = rnn

    m = cls(I, H)
    m.load_state_dict(state)
    m.eval()
    out = {}
    for prec in precisions:
        if prec == "fp32":
            out[prec] = m
            continue
        qconfig = {"int8": default_dynamic_qconfig, "int8-pc": per_channel_dynamic_qconfig}[prec]
        q = quantize_dynamic(Holder(m), {torch.nn.LSTM: qconfig, torch.nn.GRU: qconfig,
                                         torch.nn.RNN: qconfig}, dtype=torch.qint8).rnn
        if type(q) is cls:  # left as it was
            out[prec] = (f"no int8: quantize_dynamic has no dynamic-quantized nn.{cls.__name__} "
                         "(only nn.RNNCell)" if cell == "rnn" else
                         f"no int8: quantize_dynamic leaves nn.{cls.__name__} fp32")
        else:
            out[prec] = q
    return out


def child_time(args):
    quiet()
    import numpy as np
    d, peer, (cell, T, B, I, H) = args["dir"], args["peer"], args["case"]
    x = np.load(os.path.join(d, "x.npy"))
    y_ref = np.load(os.path.join(d, "y_ref.npy")).astype(np.float64)
    res = []
    if peer == "torch":
        import torch
        state = torch.load(os.path.join(d, "state.pt"), weights_only=True)
        models = torch_models(torch, state, cell, I, H, args["precisions"])
        xt = torch.from_numpy(x)
        for n in args["threads"]:
            torch.set_num_threads(n)
            for prec, m in models.items():
                if isinstance(m, str):
                    res.append({"threads": n, "precision": prec, "note": m})
                    continue
                with torch.inference_mode():
                    y, s, runs = time_block(lambda: m(xt)[0])
                res.append({"threads": n, "precision": prec, "s": s, "runs": runs,
                            "err": errors(y.numpy(), y_ref)})
    else:
        import onnxruntime as ort
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)["ort"]
        for n in args["threads"]:
            for prec in args["precisions"]:
                path, what = meta[prec]
                if path is None:
                    res.append({"threads": n, "precision": prec, "note": what})
                    continue
                so = ort.SessionOptions()
                so.intra_op_num_threads = n
                so.inter_op_num_threads = 1
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                sess = ort.InferenceSession(os.path.join(d, path), so,
                                            providers=["CPUExecutionProvider"])
                y, s, runs = time_block(lambda: sess.run(None, {"X": x})[0])
                res.append({"threads": n, "precision": prec, "s": s, "runs": runs,
                            "err": errors(y[:, 0], y_ref), "note": what})
                del sess
    return res


# ---- parent ----

def child(mode, args):
    """Runs this script in a fresh process on one job; its answer is its last stdout line."""
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode,
                        json.dumps(args)], stdout=subprocess.PIPE, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"{mode} child failed (rc {p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


def recur_bench(recur, case, threads, precisions):
    """{(precision, threads): (ms, runs, isa)} or {(precision, None): note} where recur bench
    refuses a precision (one call for all; one per precision if that fails)."""
    cell, T, B, I, H = case
    def call(precs):
        cmd = [recur, "bench", "--cells", cell, "--shapes", f"{T},{B},{I},{H}",
               "--threads", ",".join(map(str, threads)), "--precision", ",".join(precs),
               "--json"]
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=900)
    out = {}
    p = call(precisions)
    runs = [(precisions, p)] if p.returncode == 0 else [([q], call([q])) for q in precisions]
    for precs, p in runs:
        if p.returncode != 0:
            lines = (p.stderr or p.stdout).strip().splitlines()
            out[(precs[0], None)] = lines[0] if lines else f"recur bench: rc {p.returncode}"
            continue
        sys.stderr.write("".join(l + "\n" for l in p.stderr.splitlines() if "warning" in l))
        for r in json.loads(p.stdout)["results"]:
            out[(r["precision"], r["threads"])] = (r["recur"]["median_ms"], r["recur"]["runs"],
                                                  r["isa"])
    return out


def recur_errors(recur, d, threads, prec):
    """(max_err, mean_err) of recur run at prec, or a note if it refuses."""
    import numpy as np
    y_path = os.path.join(d, f"y_recur_{prec}_t{threads}.npy")
    cmd = [recur, "run", os.path.join(d, "model.safetensors"), os.path.join(d, "x.npy"),
           "-o", y_path, "--precision", prec, "--threads", str(threads)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=900)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        return None, lines[0] if lines else f"recur run: rc {p.returncode}"
    err = errors(np.load(y_path), np.load(os.path.join(d, "y_ref.npy")).astype(np.float64))
    os.unlink(y_path)
    return err, None


def parse_list(s):
    return [p for p in s.split(",") if p]


def main(argv):
    if len(argv) > 1 and argv[1] == "--child":
        fn = {"prep": child_prep, "time": child_time}[argv[2]]
        print(json.dumps(fn(json.loads(argv[3]))), flush=True)
        return 0
    opts = {"--recur-precisions": "fp32,bf16,int8", "--peer-precisions": "fp32,int8",
            "--peers": ",".join(PEERS), "--recur": os.path.join(ROOT, "build", "recur")}
    pos = []
    i = 1
    while i < len(argv):
        a = argv[i]
        key, eq, val = a.partition("=")
        if key in opts:
            if not eq:
                i += 1
                if i >= len(argv):
                    sys.exit(f"peers_int8.py: {a} needs a value")
                val = argv[i]
            opts[key] = val
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("--"):
            sys.exit(f"peers_int8.py: unknown option {a} (--help)")
        else:
            pos.append(a)
        i += 1
    if len(pos) not in (2, 3):
        sys.exit("usage: peers_int8.py OUTDIR THREADS [CASES] [options] (--help)")
    out, threads = pos[0], [int(t) for t in parse_list(pos[1])]
    cases = DEFAULT
    if len(pos) == 3:
        cases = []
        for c in pos[2].split(";"):
            p = c.split(",")
            if len(p) != 5 or p[0] not in GATES:
                sys.exit(f"peers_int8.py: bad case {c!r}: expected cell,T,B,I,H with cell "
                         "rnn|lstm|gru")
            cases.append((p[0], int(p[1]), int(p[2]), int(p[3]), int(p[4])))
    recur_precs = parse_list(opts["--recur-precisions"])
    peer_precs = parse_list(opts["--peer-precisions"])
    peers = parse_list(opts["--peers"])
    for p in peers:
        if p not in PEERS:
            sys.exit(f"peers_int8.py: unknown peer {p!r} (torch, ort, recur)")
    for p in peer_precs:
        if p not in ("fp32", "int8", "int8-pc"):
            sys.exit(f"peers_int8.py: unknown peer precision {p!r} (fp32, int8, int8-pc)")
    recur = opts["--recur"]
    if "recur" in peers and not os.access(recur, os.X_OK):
        sys.exit(f"peers_int8.py: no recur at {recur}: build it (meson setup build && ninja -C "
                 "build) or pass --recur PATH")
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    meta = {"threads": threads, "rounds": ROUNDS, "min_runs": MIN_RUNS, "min_s": MIN_S,
            "recur_precisions": recur_precs, "peer_precisions": peer_precs, "peers": peers,
            "load_start": os.getloadavg(), "cpus": os.cpu_count(),
            "affinity": sorted(os.sched_getaffinity(0))}
    meta.update(child("prep", {"out": out, "cases": cases, "peer_precisions": peer_precs,
                               "peers": peers}))
    try:
        import onnxruntime
        meta["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        meta["onnxruntime"] = None
    if "recur" in peers:
        v = subprocess.run([recur, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        meta["recur"] = v.stdout.strip()
    rows = []
    for case in cases:
        cell, T, B, I, H = case
        d = os.path.join(out, case_name(case))
        got = {}  # (peer, precision, threads) -> {"ms": [...], "runs": [...], ...}
        def put(peer, prec, n, **kw):
            g = got.setdefault((peer, prec, n), {"ms": [], "runs": []})
            for k, v in kw.items():
                if k in ("ms", "runs"):
                    g[k].append(v)
                elif v is not None:
                    g.setdefault(k, v)
        for r in range(ROUNDS):
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for peer in order:
                if peer == "recur":
                    for key, v in recur_bench(recur, case, threads, recur_precs).items():
                        if key[1] is None:
                            for n in threads:
                                put("recur", key[0], n, note=v)
                        else:
                            put("recur", key[0], key[1], ms=v[0], runs=v[1], isa=v[2])
                    continue
                for res in child("time", {"dir": d, "peer": peer, "case": case,
                                          "threads": threads, "precisions": peer_precs}):
                    if "s" in res:
                        put(peer, res["precision"], res["threads"], ms=res["s"] * 1e3,
                            runs=res["runs"], err=res["err"], note=res.get("note"))
                    else:
                        put(peer, res["precision"], res["threads"], note=res["note"])
        if "recur" in peers:
            for n in threads:
                for prec in recur_precs:
                    err, note = recur_errors(recur, d, n, prec)
                    g = got.setdefault(("recur", prec, n), {"ms": [], "runs": []})
                    if err is not None:
                        g["err"] = err
                    elif "note" not in g:
                        g["note"] = note
        for (peer, prec, n), g in got.items():
            ms = statistics.median(g["ms"]) if g["ms"] else None
            err = g.get("err", (None, None))
            row = {"cell": cell, "T": T, "B": B, "I": I, "H": H, "threads": n, "peer": peer,
                   "precision": prec, "ms": ms,
                   "gflops": gflop(cell, T, B, I, H) / (ms / 1e3) if ms else None,
                   "max_err": err[0], "mean_err": err[1], "rounds_ms": g["ms"],
                   "runs": g["runs"]}
            for k in ("note", "isa"):
                if k in g:
                    row[k] = g[k]
            rows.append(row)
            print(f"{case_name(case)} t{n} {peer:5s} {prec:7s} "
                  + (f"{ms:9.3f} ms" if ms else "        - ms")
                  + (f"  max_err {err[0]:.2e}  mean_err {err[1]:.2e}" if err[0] is not None
                     else "") + (f"  ({g['note']})" if ms is None and "note" in g else ""),
                  file=sys.stderr, flush=True)
        with open(os.path.join(out, "int8.json"), "w") as f:
            json.dump(rows, f, indent=1)
    meta["load_end"] = os.getloadavg()
    meta["seconds"] = time.time() - t0
    with open(os.path.join(out, "int8_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote {os.path.join(out, 'int8.json')} ({len(rows)} rows) in {meta['seconds']:.0f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
