#!/usr/bin/python3
"""End-to-end test of tools/export_torch.py with the recur command line.

usage: test_export.py RECUR_EXECUTABLE TMPDIR

Builds fresh PyTorch modules, exports them (as a module call and through the exporter's
command line), checks each file against the safetensors format in pure Python, runs
`recur run` on them and compares its outputs with torch's (|got - want| <= 1e-5 + 1e-5|want|).
Exit status 0 if every check passed, 1 if one failed or torch is missing (tools/setup.sh
installs it: a missing peer is a failure, not a skip).
"""
import json
import os
import struct
import subprocess
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"FAIL: {e} (run with a python that has torch and numpy: tools/setup.sh)")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTER = os.path.join(HERE, "..", "tools", "export_torch.py")
sys.path.insert(0, os.path.dirname(EXPORTER))
from export_torch import build_module, cell_of, export  # noqa: E402

ATOL = RTOL = 1e-5
ITEM_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
              "U8": 1, "BOOL": 1}


def read_safetensors(path):
    """Parses and validates a safetensors file: (metadata, {name: float32 numpy array})."""
    with open(path, "rb") as f:
        blob = f.read()
    assert len(blob) >= 8, "shorter than the header length"
    (header_len,) = struct.unpack("<Q", blob[:8])
    assert 8 + header_len <= len(blob), "header length past the end of the file"
    assert header_len % 8 == 0, "header not padded to a multiple of 8"
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()), \
        "metadata values must be strings"
    data = blob[8 + header_len:]
    tensors, end = {}, 0
    for name, info in header.items():  # JSON objects keep the file's order
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: starts at {begin}, expected {end}"
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert stop - begin == count * ITEM_SIZES[info["dtype"]], f"{name}: byte size"
        tensors[name] = decode(data[begin:stop], info["dtype"]).reshape(info["shape"])
        end = stop
    assert end == len(data), f"data section has {len(data)} bytes, tensors cover {end}"
    return metadata, tensors


def decode(raw, dtype):
    if dtype == "BF16":  # the high half of a float32
        return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    kinds = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}
    return np.frombuffer(raw, kinds[dtype]).astype(np.float32)


def reference(rnn, x, h0=None, c0=None, lengths=None):
    """torch's y, h_n, c_n (None unless LSTM) as float32 numpy arrays."""
    hx = h0
    if isinstance(rnn, torch.nn.LSTM) and (h0 is not None or c0 is not None):
        batch = () if x.dim() == 2 else (x.shape[0 if rnn.batch_first else 1],)
        shape = (rnn.num_layers * (2 if rnn.bidirectional else 1),) + batch
        hx = (torch.zeros(shape + (rnn.proj_size or rnn.hidden_size,)) if h0 is None else h0,
              torch.zeros(shape + (rnn.hidden_size,)) if c0 is None else c0)
    with torch.no_grad():
        if lengths is None:
            y, state = rnn(x, hx)
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x, lengths, batch_first=rnn.batch_first, enforce_sorted=False)
            y, state = rnn(packed, hx)
            total = x.shape[1] if rnn.batch_first else x.shape[0]
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, rnn.batch_first, total_length=total)
    h_n, c_n = state if isinstance(rnn, torch.nn.LSTM) else (state, None)
    return [t if t is None else t.numpy() for t in (y, h_n, c_n)]


class Checker:
    def __init__(self, recur, tmp):
        self.recur, self.tmp, self.failures, self.count = recur, tmp, 0, 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def check(self, what, fn, *args):
        self.count += 1
        try:
            fn(*args)
            print(f"ok   {what}")
        except Exception as e:  # report every check, not just the first failure
            self.failures += 1
            print(f"FAIL {what}: {type(e).__name__}: {e}")

    def run_time_first(self, name, model, rnn, x):
        """A batch-first rnn's file run with --time-first on x (T, B, I): torch's y for x as
        (B, T, I), as (T, B, D*H_out)."""
        assert rnn.batch_first
        np.save(self.path(f"{name}.x_tb.npy"), x.numpy())
        cmd = [self.recur, "run", model, self.path(f"{name}.x_tb.npy"), "--time-first", "-o",
               self.path(f"{name}.y_tb.npy")]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}: {result.stderr.strip()}"
        want = reference(rnn, x.transpose(0, 1))[0].transpose(1, 0, 2)
        got = np.load(self.path(f"{name}.y_tb.npy"))
        assert got.shape == want.shape, f"y: shape {got.shape}, torch {want.shape}"
        err = np.abs(got - want) - (ATOL + RTOL * np.abs(want))
        assert (err <= 0).all(), f"y: off by {np.abs(got - want).max():.3g}"

    def export_cli(self, out, *args):
        cmd = [sys.executable, EXPORTER, "-o", out, *args]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}: {result.stderr.strip()}"

    def run_recur(self, name, model, rnn, x, h0=None, c0=None, lengths=None, prefix="",
                  layout=None):
        """Runs recur on model and compares with torch's outputs of rnn. x is in rnn's layout,
        which the file records: recur takes it with no flag, or with layout ("--batch-first")
        naming it."""
        files = {"x": x, "h0": h0, "c0": c0, "lengths": lengths}
        cmd = [self.recur, "run", model]
        for key, value in files.items():
            if value is not None:
                np.save(self.path(f"{name}.{key}.npy"), value.numpy())
                cmd += [self.path(f"{name}.{key}.npy")] if key == "x" else \
                    [f"--{key}", self.path(f"{name}.{key}.npy")]
        outs = {"y": "-o", "hn": "--hn"} | ({"cn": "--cn"} if isinstance(rnn, torch.nn.LSTM)
                                            else {})
        for key, flag in outs.items():
            cmd += [flag, self.path(f"{name}.{key}.npy")]
        if layout:
            cmd.append(layout)
        if prefix:
            cmd += ["--prefix", prefix]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, \
            f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()}"
        for key, want in zip(outs, reference(rnn, x, h0, c0, lengths)):
            got = np.load(self.path(f"{name}.{key}.npy"))
            assert got.dtype == np.float32, f"{key}: dtype {got.dtype}"
            assert got.shape == want.shape, f"{key}: shape {got.shape}, torch {want.shape}"
            err = np.abs(got - want) - (ATOL + RTOL * np.abs(want))
            assert (err <= 0).all(), f"{key}: off by {np.abs(got - want).max():.3g}"


def load_weights(rnn, path):
    """Loads a file's tensors into rnn (as float32); returns the file's metadata."""
    metadata, tensors = read_safetensors(path)
    rnn.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    return metadata


def check_format(path, module, dtype, prefix=""):
    """The file parses, says the right cell and holds module's state_dict in dtype."""
    metadata, tensors = read_safetensors(path)
    rnn = module.get_submodule(prefix) if prefix else module
    assert metadata.get("cell") == cell_of(rnn), f"cell {metadata.get('cell')!r}"
    state = module.state_dict()
    assert list(tensors) == list(state), f"names {list(tensors)}, expected {list(state)}"
    converted = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                 "F64": torch.float64}[dtype]
    for name, want in state.items():
        want = want.to(converted).float().numpy()
        assert np.array_equal(tensors[name], want), f"{name}: values differ"


def round_weights(rnn, dtype):
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(p.to(dtype).float())


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    t = Checker(os.path.abspath(sys.argv[1]), sys.argv[2])
    os.makedirs(t.tmp, exist_ok=True)

    # Module exports: each cell, both directions, depth, projection, batch_first.
    modules = {
        "rnn_tanh": build_module("rnn_tanh", 5, 7),
        "rnn_relu_bi": build_module("rnn_relu", 4, 6, bidirectional=True),
        "lstm_bi_l2": build_module("lstm", 6, 9, num_layers=2, bidirectional=True),
        "lstm_proj_bi_l2": build_module("lstm", 5, 8, num_layers=2, bidirectional=True,
                                        proj_size=3),
        "gru_bi_l2_bf": build_module("gru", 3, 10, num_layers=2, bidirectional=True,
                                     batch_first=True),
    }
    for name, rnn in modules.items():
        path = t.path(name + ".safetensors")
        x = torch.randn((4, 7, rnn.input_size) if rnn.batch_first else (7, 4, rnn.input_size))
        t.check(f"{name}: export() writes a valid file", export, rnn, path)
        t.check(f"{name}: file format", check_format, path, rnn, "F32")
        t.check(f"{name}: recur matches torch (the file's layout)", t.run_recur, name, path,
                rnn, x)
        if rnn.batch_first:
            t.check(f"{name}: recur --time-first matches torch", t.run_time_first, name, path,
                    rnn, torch.randn(7, 4, rnn.input_size))

    # Other dtypes: exact conversion in the file; recur matches torch on the rounded weights.
    for dtype, torch_dtype in (("F16", torch.float16), ("BF16", torch.bfloat16),
                               ("F64", torch.float64)):
        name = f"lstm_{dtype.lower()}"
        rnn = build_module("lstm", 4, 6, bidirectional=True)
        path = t.path(name + ".safetensors")
        t.check(f"{name}: export(dtype={dtype})", export, rnn, path, "", dtype)
        t.check(f"{name}: file format", check_format, path, rnn, dtype)
        round_weights(rnn, torch_dtype)
        t.check(f"{name}: recur matches torch", t.run_recur, name, path, rnn,
                torch.randn(5, 2, 4))

    # Initial states and packed sequences (batch_first, unsorted lengths incl. 1 and T).
    rnn = build_module("lstm", 3, 5, num_layers=2, bidirectional=True, batch_first=True)
    path = t.path("lstm_states.safetensors")
    t.check("lstm_states: export()", export, rnn, path)
    t.check("lstm_states: recur with --h0 --c0 --lengths", t.run_recur, "lstm_states", path,
            rnn, torch.randn(4, 6, 3), torch.randn(4, 4, 5), torch.randn(4, 4, 5),
            torch.tensor([2, 6, 1, 4]), "", "--batch-first")

    # A whole model: the RNN is selected by prefix.
    model = torch.nn.Module()
    model.encoder = torch.nn.Module()
    model.encoder.rnn = build_module("gru", 4, 6, bidirectional=True)
    model.fc = torch.nn.Linear(12, 3)
    path = t.path("model.safetensors")
    t.check("model: export(prefix=encoder.rnn)", export, model, path, "encoder.rnn")
    t.check("model: file format", check_format, path, model, "F32", "encoder.rnn")
    t.check("model: recur --prefix encoder.rnn", t.run_recur, "model", path,
            model.encoder.rnn, torch.randn(5, 2, 4), None, None, None, "encoder.rnn")

    # The exporter's command line: a saved state_dict (cell inferred from shapes) ...
    state_path = t.path("model.pt")
    torch.save(model.state_dict(), state_path)
    path = t.path("model_cli.safetensors")
    t.check("cli --from-state-dict --prefix", t.export_cli, path, "--from-state-dict",
            state_path, "--prefix", "encoder.rnn")
    t.check("cli --from-state-dict: file format", check_format, path, model, "F32",
            "encoder.rnn")
    torch.save(modules["lstm_proj_bi_l2"].state_dict(), state_path)
    path = t.path("proj_cli.safetensors")
    t.check("cli --from-state-dict (LSTM proj)", t.export_cli, path, "--from-state-dict",
            state_path)
    t.check("cli --from-state-dict (LSTM proj): file format", check_format, path,
            modules["lstm_proj_bi_l2"], "F32")

    # ... and a fresh random module, which torch reads back from the file to compare.
    for cell, args in (("rnn_relu", ["--layers", "2"]), ("gru", ["--bidirectional"]),
                       ("lstm", ["--layers", "2", "--bidirectional", "--proj-size", "4"]),
                       ("lstm", ["--no-bias", "--dtype", "BF16"])):
        name = f"cli_{cell}_{len(args)}"
        path = t.path(name + ".safetensors")
        t.check(f"{name}: cli --cell {cell} {' '.join(args)}", t.export_cli, path, "--cell",
                cell, "--input-size", "5", "--hidden-size", "8", "--seed", "7", *args)
        rnn = build_module(cell, 5, 8, num_layers=2 if "--layers" in args else 1,
                           bidirectional="--bidirectional" in args,
                           proj_size=4 if "--proj-size" in args else 0,
                           bias="--no-bias" not in args)
        t.check(f"{name}: file loads into torch", load_weights, rnn, path)
        t.check(f"{name}: recur matches torch", t.run_recur, name, path, rnn,
                torch.randn(6, 3, 5))

    # An output it cannot write is refused before the state_dict is read (it does not exist).
    for out in ("no/such/m.safetensors", "."):
        t.check(f"cli -o {out}: refused first", export_refused, t.path(out))

    print(f"{t.count - t.failures} of {t.count} checks passed")
    return 1 if t.failures else 0


def export_refused(out):
    cmd = [sys.executable, EXPORTER, "-o", out, "--from-state-dict", "/nonexistent/sd.pt"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 1, f"exit {result.returncode}: {result.stderr.strip()}"
    assert result.stderr.startswith(f"export_torch.py: error: cannot write {out}:"), result.stderr


if __name__ == "__main__":
    sys.exit(main())
