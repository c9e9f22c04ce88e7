#!/usr/bin/env python3
"""Peer anchors on the same cases as `recur bench`: PyTorch's nn.RNN/LSTM/GRU and ONNX
Runtime's RNN/LSTM/GRU operators (fp32 forward inference, random weights, zero states), for
bench/many_core.sh. Needs torch, and numpy, onnx and onnxruntime for ONNX Runtime.

Usage: peers.py OUT.json THREADS [CASES]
  THREADS: comma list (1,4,16). CASES: 'cell,T,B,I,H;...' (cell rnn|lstm|gru|bilstm);
  default: the DeepBench inference shapes recur bench uses.
Timing: a warm-up call, then at least MIN_RUNS calls and MIN_S seconds; the median.
PEERS=torch or PEERS=ort runs one alone: run them in separate processes, since each one's
idle threads spin after a call and steal cores from the other at high thread counts.
"""
import json, os, sys, time, statistics

MIN_RUNS = int(os.environ.get("MIN_RUNS", "5"))
MIN_S = float(os.environ.get("MIN_S", "0.2"))

DEFAULT = []
for cell in ("rnn", "lstm", "gru"):
    for (T, B, H) in ((50, 1, 512), (50, 4, 512), (50, 16, 512), (25, 64, 1024), (100, 32, 512),
                      (150, 1, 256), (25, 1, 1536)):
        DEFAULT.append((cell, T, B, H, H))
DEFAULT.append(("bilstm", 50, 16, 512, 512))


def gates(cell):
    return {"rnn": 1, "lstm": 4, "bilstm": 4, "gru": 3}[cell]


def gflop(cell, T, B, I, H):
    d = 2 if cell == "bilstm" else 1
    return 2.0 * T * B * gates(cell) * H * (I + H) * d / 1e9


def make_torch(torch, cell, I, H):
    if cell == "rnn":
        m = torch.nn.RNN(I, H)
    elif cell == "gru":
        m = torch.nn.GRU(I, H)
    else:
        m = torch.nn.LSTM(I, H, bidirectional=(cell == "bilstm"))
    return m.eval()


def make_ort(ort, cell, T, B, I, H, threads):
    import numpy as np
    from onnx import helper, TensorProto, numpy_helper
    op = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM", "bilstm": "LSTM"}[cell]
    G = gates(cell)
    D = 2 if cell == "bilstm" else 1
    rng = np.random.default_rng(0)
    k = 1.0 / np.sqrt(H)
    W = rng.uniform(-k, k, (D, G * H, I)).astype(np.float32)
    R = rng.uniform(-k, k, (D, G * H, H)).astype(np.float32)
    Bb = rng.uniform(-k, k, (D, 2 * G * H)).astype(np.float32)
    attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
    if op == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's GRU
    node = helper.make_node(op, ["X", "W", "R", "B"], ["Y", "Y_h"], **attrs)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, D, B, H]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [D, B, H])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"),
         numpy_helper.from_array(Bb, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess


def main():
    out_path = sys.argv[1]
    threads = [int(t) for t in sys.argv[2].split(",")]
    cases = DEFAULT
    if len(sys.argv) > 3:
        cases = []
        for c in sys.argv[3].split(";"):
            p = c.split(",")
            cases.append((p[0], int(p[1]), int(p[2]), int(p[3]), int(p[4])))
    import numpy as np
    import torch
    which = os.environ.get("PEERS", "torch,ort").split(",")
    ort = None
    if "ort" in which:
        try:
            import onnxruntime as ort
        except Exception as e:  # noqa: BLE001
            print("onnxruntime unavailable:", e, file=sys.stderr)
    use_torch = "torch" in which
    info = {"torch": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available(),
            "torch_config": torch.__config__.show(), "ort": getattr(ort, "__version__", None),
            "threads": threads, "min_runs": MIN_RUNS, "min_s": MIN_S, "results": []}
    torch.manual_seed(0)
    for (cell, T, B, I, H) in cases:
        for n in threads:
            torch.set_num_threads(n)
            m = make_torch(torch, cell, I, H)
            x = torch.randn(T, B, I)
            xn = x.numpy()
            sess = None
            if ort is not None:
                try:
                    sess = make_ort(ort, cell, T, B, I, H, n)
                except Exception as e:  # noqa: BLE001
                    print("ort build failed", cell, T, B, I, H, e, file=sys.stderr)
            times = {"torch": [], "ort": []}
            with torch.inference_mode():
                if use_torch:
                    m(x)
                if sess is not None:
                    sess.run(None, {"X": xn})
                t_start = time.perf_counter()
                while True:
                    if use_torch:
                        t0 = time.perf_counter(); m(x); times["torch"].append(time.perf_counter() - t0)
                    if sess is not None:
                        t0 = time.perf_counter(); sess.run(None, {"X": xn})
                        times["ort"].append(time.perf_counter() - t0)
                    if max(len(times["torch"]), len(times["ort"])) >= MIN_RUNS and time.perf_counter() - t_start >= MIN_S:
                        break
                    if time.perf_counter() - t_start > 20:
                        break
            rec = {"cell": cell, "T": T, "B": B, "I": I, "H": H, "threads": n,
                   "gflop": gflop(cell, T, B, I, H)}
            for k, v in times.items():
                if v:
                    rec[k + "_ms"] = statistics.median(v) * 1e3
                    rec[k + "_runs"] = len(v)
            info["results"].append(rec)
            print(json.dumps(rec), flush=True)
            with open(out_path, "w") as f:
                json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
