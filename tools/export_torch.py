#!/usr/bin/python3
"""Export PyTorch nn.RNN / nn.LSTM / nn.GRU weights to a safetensors file recur can load.

The file holds the module's state_dict unchanged (PyTorch's names and layout) and the
metadata {"cell": "lstm" | "gru" | "rnn_tanh" | "rnn_relu", "batch_first": "0" | "1"} (the
module's flag: the layout recur's loaders take by default), plus informative keys ("format",
sizes) that recur ignores. A saved state_dict (--from-state-dict) does not say its layout:
its file records none, which recur takes as time-first.

As a module:
    from export_torch import export, write_safetensors
    export(torch.nn.LSTM(8, 16), "model.safetensors")
    export(model, "model.safetensors", prefix="encoder.rnn")   # a model holding RNNs

As a command (run with a python that has torch, e.g. Debian's /usr/bin/python3):
    export_torch.py --cell lstm --input-size 8 --hidden-size 16 -o model.safetensors
    export_torch.py --from-state-dict model.pt --prefix encoder.rnn -o model.safetensors
"""
import argparse
import os
import pickle
import sys
import tempfile

import torch

# The one safetensors writer, the Python package's (standard library only), read from the
# source tree so that this tool needs no build.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python",
                                "recur"))
import _safetensors as safetensors  # noqa: E402

FORMAT = safetensors.FORMAT
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
EXPORT_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                 "F64": torch.float64}
SAFETENSORS_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
GATES_TO_CELL = {4: "lstm", 3: "gru", 1: "rnn_tanh"}  # rnn_relu has the shapes of rnn_tanh


def write_safetensors(path, tensors, metadata):
    """Writes tensors (name -> torch.Tensor, written in the dict's order) and metadata
    (str -> str) to path in the safetensors format, atomically."""
    entries = {}
    for name, tensor in tensors.items():
        if tensor.dtype not in SAFETENSORS_DTYPES:
            raise ValueError(f"{name}: dtype {tensor.dtype} has no safetensors name")
        entries[name] = (SAFETENSORS_DTYPES[tensor.dtype], tuple(tensor.shape),
                         _little_endian_bytes(tensor))
    _atomic_write(path, [safetensors.encode(entries, metadata)])


def _little_endian_bytes(tensor):
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16: take its 16-bit pattern
        tensor = tensor.view(torch.int16)
    array = tensor.numpy()
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def _atomic_write(path, chunks):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would be surprising for a model file
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cell_of(module):
    """recur's cell name for an nn.RNN / nn.LSTM / nn.GRU."""
    return {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh",
            "RNN_RELU": "rnn_relu"}[module.mode]


def cell_from_shapes(state_dict, prefix):
    """Infers the cell of the RNN whose tensors start with prefix ("" or "name.")."""
    if prefix + "weight_hr_l0" in state_dict:
        return "lstm"
    rows, cols = state_dict[prefix + "weight_hh_l0"].shape
    gates = rows // cols if rows % cols == 0 else 0
    if gates not in GATES_TO_CELL:
        raise ValueError(f"{prefix}weight_hh_l0: shape ({rows}, {cols}) fits no RNN cell")
    return GATES_TO_CELL[gates]


def rnn_prefixes(state_dict):
    """The prefixes ("" or "name.") of the RNN modules in a state_dict."""
    return [name[:-len("weight_ih_l0")] for name in state_dict if name.endswith("weight_ih_l0")]


def _key_prefix(prefix):
    prefix = prefix.rstrip(".")
    return prefix + "." if prefix else ""


def export_state_dict(state_dict, cells, path, prefix="", dtype="F32", metadata=None):
    """Writes a state_dict whose RNN modules have the cells given by cells (key prefix ->
    cell name); prefix selects the RNN whose cell goes in the metadata. If the state_dict
    holds RNNs of different cells, only the selected one's tensors are written, so that the
    file's "cell" is right for every RNN in it. Floating tensors are converted to dtype."""
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"dtype {dtype!r}: expected one of {', '.join(EXPORT_DTYPES)}")
    selected = _select_prefix(cells, prefix)
    cell = cells[selected]
    if any(c != cell for c in cells.values()):
        state_dict = {k: v for k, v in state_dict.items() if k.startswith(selected)}
    tensors = {name: t.to(EXPORT_DTYPES[dtype]) if t.is_floating_point() else t
               for name, t in state_dict.items()}
    info = {"cell": cell, "format": FORMAT, "dtype": dtype, "torch": torch.__version__}
    if selected:
        info["prefix"] = selected.rstrip(".")
    info.update(metadata or {})
    write_safetensors(path, tensors, info)


def _select_prefix(cells, prefix):
    wanted = _key_prefix(prefix)
    if prefix:
        if wanted not in cells:
            found = ", ".join(p.rstrip(".") or "(top level)" for p in cells) or "none"
            raise ValueError(f"no RNN module named {prefix!r} (found: {found})")
        return wanted
    if len(cells) != 1:
        found = ", ".join(p.rstrip(".") for p in cells) or "none"
        raise ValueError(f"expected exactly one RNN module, found: {found}; pass a prefix")
    return next(iter(cells))


def export(module, path, prefix="", dtype="F32", extra_metadata=None):
    """Exports an nn.RNN / nn.LSTM / nn.GRU, or a model holding some (prefix names which
    one, e.g. "encoder.rnn"), to a safetensors file at path with tensors in dtype
    ("F32", "F16", "BF16" or "F64")."""
    rnns = {_key_prefix(name): m for name, m in module.named_modules()
            if isinstance(m, torch.nn.RNNBase)}
    cells = {p: cell_of(m) for p, m in rnns.items()}
    rnn = rnns[_select_prefix(cells, prefix)]
    metadata = {"batch_first": int(rnn.batch_first), "input_size": rnn.input_size,
                "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers,
                "bidirectional": int(rnn.bidirectional), "proj_size": rnn.proj_size,
                "bias": int(rnn.bias)}
    metadata.update(extra_metadata or {})
    export_state_dict(dict(module.state_dict()), cells, path, prefix, dtype, metadata)


def build_module(cell, input_size, hidden_size, num_layers=1, bidirectional=False,
                 proj_size=0, bias=True, batch_first=False):
    """A fresh, randomly initialised PyTorch module for recur's cell name."""
    common = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional)
    if proj_size and cell != "lstm":
        raise ValueError("proj_size is for LSTM only")
    if cell == "lstm":
        return torch.nn.LSTM(input_size, hidden_size, proj_size=proj_size, **common)
    if cell == "gru":
        return torch.nn.GRU(input_size, hidden_size, **common)
    return torch.nn.RNN(input_size, hidden_size, nonlinearity=cell[4:], **common)


def export_saved_state_dict(src, path, prefix="", cell=None, dtype="F32"):
    """Exports a state_dict saved with torch.save (cell inferred from shapes unless given;
    rnn_relu cannot be told from rnn_tanh by shapes and must be given)."""
    state_dict = torch.load(src, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ValueError(f"{src}: expected a state_dict (a dict of tensors)")
    cells = {p: cell_from_shapes(state_dict, p) for p in rnn_prefixes(state_dict)}
    if cell:
        cells[_select_prefix(cells, prefix)] = cell
    export_state_dict(state_dict, cells, path, prefix, dtype)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Export PyTorch RNN/LSTM/GRU weights to safetensors for recur.",
        epilog="Either build a fresh random module (--cell, --input-size, --hidden-size, ...) "
               "or convert a saved state_dict (--from-state-dict).")
    parser.add_argument("-o", "--output", required=True, help="the .safetensors file to write")
    parser.add_argument("--from-state-dict", metavar="FILE",
                        help="a state_dict saved with torch.save (loaded weights_only)")
    parser.add_argument("--prefix", default="",
                        help="which RNN module of the state_dict, e.g. encoder.rnn")
    parser.add_argument("--cell", choices=CELLS,
                        help="the cell (required for a new module; inferred from a state_dict)")
    parser.add_argument("--input-size", type=int)
    parser.add_argument("--hidden-size", type=int)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--proj-size", type=int, default=0, help="LSTM projection size")
    parser.add_argument("--no-bias", action="store_true")
    parser.add_argument("--batch-first", action="store_true",
                        help="recorded in the file: recur's loaders then take (B, T, I) input "
                             "by default")
    parser.add_argument("--seed", type=int, default=0, help="seed for a new module's weights")
    parser.add_argument("--dtype", choices=list(EXPORT_DTYPES), default="F32")
    args = parser.parse_args(argv)
    folder = os.path.dirname(os.path.abspath(args.output))
    if os.path.isdir(args.output) or not os.access(folder, os.W_OK | os.X_OK):
        print(f"export_torch.py: error: cannot write {args.output}: it is a folder, or its "
              "folder is missing or not writable", file=sys.stderr)
        return 1  # before a state_dict is read or a module built

    try:
        if args.from_state_dict:
            export_saved_state_dict(args.from_state_dict, args.output, args.prefix, args.cell,
                                    args.dtype)
        else:
            if not (args.cell and args.input_size and args.hidden_size):
                parser.error("a new module needs --cell, --input-size and --hidden-size")
            torch.manual_seed(args.seed)
            module = build_module(args.cell, args.input_size, args.hidden_size, args.layers,
                                  args.bidirectional, args.proj_size, not args.no_bias,
                                  args.batch_first)
            export(module, args.output, dtype=args.dtype, extra_metadata={"seed": args.seed})
    except (ValueError, OSError, RuntimeError, pickle.UnpicklingError) as e:
        print(f"export_torch.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
