#!/usr/bin/python3
"""Generates recur's golden test cases from PyTorch into tests/data/golden/.

Run with a python that has torch and numpy (Debian's /usr/bin/python3). Deterministic: each
case seeds torch from its name. For each case NAME it writes NAME.safetensors (the model),
NAME.x.npy (float32 input), the outputs NAME.y.npy, NAME.hn.npy and, for LSTM, NAME.cn.npy,
and optionally NAME.h0.npy, NAME.c0.npy, NAME.len.npy (int64), plus one line per case in
manifest.txt. Outputs are torch's, computed in float32 from the weights as stored in the file.

    gen_golden.py           regenerates every case (stale files are removed)
    gen_golden.py NAME...   writes only the named cases' files, and the whole manifest
"""
import dataclasses
import os
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from export_torch import (  # noqa: E402
    EXPORT_DTYPES, FORMAT, build_module, export, write_safetensors)

OUT_DIR = os.path.join(HERE, "data", "golden")
MANIFEST_HEADER = (
    "# NAME key=value...: cell layers bidir batch_first unbatched h0 c0 lengths (0/1: which\n"
    "# NAME.*.npy inputs exist), T B I H P (P = LSTM proj_size, 0 if none), bias, dtype (of the\n"
    "# weights in NAME.safetensors), cell_meta (0: no \"cell\" metadata, infer it from shapes),\n"
    "# prefix (only when the file holds a whole model: pass it to recur), nonfinite (only when\n"
    "# an input or weight holds NaN or +-Inf: where:value,..., e.g. x:nan,c0:inf).\n")


@dataclasses.dataclass
class Case:
    name: str
    cell: str
    I: int = 5
    H: int = 7
    layers: int = 1
    bidir: bool = False
    P: int = 0
    bias: bool = True
    T: int = 6
    B: int = 3
    batch_first: bool = False
    unbatched: bool = False
    h0: bool = False
    c0: bool = False
    lengths: tuple = ()
    dtype: str = "F32"
    cell_meta: bool = True
    prefix: str = ""
    # Non-finite values written over the random ones: (tensor, index, value); tensor is x, h0,
    # c0 or a parameter's name (weight_hh_l0, bias_ih_l1, ...).
    nonfinite: tuple = ()


CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
UNSORTED_LENGTHS = (3, 7, 1, 5, 7)  # T = 7: includes 1 and T, unsorted
NAN, INF = float("nan"), float("inf")


def nonfinite_cases(cell):
    """NaN and +-Inf in the input, the initial states and the weights of one cell. Each value
    sits where its effect stays readable: a NaN in x poisons its own sequence from its step on
    (both directions), an Inf in x saturates every gate it reaches, an Inf in h0 multiplies a
    whole column of W_hh, an Inf in c0 stays Inf in c (f > 0) while h stays finite."""
    small = dict(I=3, H=4, T=5, B=3)
    out = [
        Case(f"{cell}_nan_x_bi", cell, bidir=True, **small, nonfinite=(("x", (2, 1, 0), NAN),)),
        Case(f"{cell}_inf_x", cell, **small,
             nonfinite=(("x", (1, 0, 0), INF), ("x", (3, 2, 1), -INF))),
        Case(f"{cell}_nonfinite_h0", cell, h0=True, c0=cell == "lstm", **small,
             nonfinite=(("h0", (0, 0, 1), INF), ("h0", (0, 1, 2), -INF), ("h0", (0, 2, 0), NAN))),
        Case(f"{cell}_nonfinite_w_l2", cell, layers=2, **small,
             nonfinite=(("weight_ih_l0", (0, 1), INF), ("weight_ih_l0", (2, 2), -INF),
                        ("bias_hh_l1", (2,), NAN))),
    ]
    if cell == "lstm":
        out.append(Case("lstm_nonfinite_c0_bi", cell, bidir=True, c0=True, **small,
                        nonfinite=(("c0", (0, 0, 1), INF), ("c0", (1, 1, 2), -INF),
                                   ("c0", (0, 2, 3), NAN))))
    return out


def cases():
    out = []
    for cell in CELLS:  # every cell x directions x depth
        for bidir in (False, True):
            for layers in (1, 2, 3):
                out.append(Case(f"{cell}_l{layers}_{'bi' if bidir else 'uni'}", cell,
                                layers=layers, bidir=bidir))
    out += [  # LSTM projection
        Case("lstm_proj_uni_l2", "lstm", I=6, H=8, P=3, layers=2),
        Case("lstm_proj_bi_l2", "lstm", I=6, H=8, P=5, layers=2, bidir=True),
        Case("lstm_proj_bi_l3_h0c0", "lstm", I=4, H=6, P=2, layers=3, bidir=True, h0=True,
             c0=True),
        Case("lstm_proj_bi_len", "lstm", I=6, H=8, P=3, layers=2, bidir=True, T=7, B=5,
             lengths=UNSORTED_LENGTHS),
    ]
    for cell in CELLS:  # packed sequences
        out.append(Case(f"{cell}_len_uni", cell, T=7, B=5, lengths=UNSORTED_LENGTHS))
        out.append(Case(f"{cell}_len_bi_l2", cell, T=7, B=5, layers=2, bidir=True,
                        lengths=UNSORTED_LENGTHS))
    out += [
        Case("gru_len_bi_h0", "gru", T=7, B=5, bidir=True, h0=True, lengths=UNSORTED_LENGTHS),
        Case("lstm_len_h0c0", "lstm", T=5, B=4, layers=2, h0=True, c0=True,
             lengths=(5, 2, 4, 1)),
        # batch_first
        Case("lstm_bf", "lstm", batch_first=True),
        Case("gru_bf_bi", "gru", layers=2, bidir=True, batch_first=True),
        Case("rnn_relu_bf", "rnn_relu", batch_first=True, h0=True),
        Case("rnn_tanh_bf_len", "rnn_tanh", T=7, B=5, batch_first=True,
             lengths=UNSORTED_LENGTHS),
        Case("lstm_bf_len_bi_h0c0", "lstm", T=7, B=5, layers=2, bidir=True, batch_first=True,
             h0=True, c0=True, lengths=UNSORTED_LENGTHS),
        # initial states
        Case("rnn_tanh_h0", "rnn_tanh", h0=True),
        Case("rnn_relu_h0_bi", "rnn_relu", bidir=True, h0=True),
        Case("gru_h0_l2", "gru", layers=2, h0=True),
        Case("lstm_h0c0_bi_l2", "lstm", layers=2, bidir=True, h0=True, c0=True),
        Case("lstm_h0_only", "lstm", h0=True),
        Case("lstm_c0_only", "lstm", c0=True),
        # no bias
        Case("rnn_tanh_nobias", "rnn_tanh", bias=False),
        Case("rnn_relu_nobias_bi", "rnn_relu", bias=False, bidir=True),
        Case("lstm_nobias_bi_l2", "lstm", bias=False, bidir=True, layers=2),
        Case("gru_nobias_l2", "gru", bias=False, layers=2),
        Case("lstm_proj_nobias", "lstm", bias=False, I=6, H=8, P=3),
        # unbatched
        Case("rnn_tanh_unbatched", "rnn_tanh", B=1, unbatched=True),
        Case("rnn_relu_unbatched", "rnn_relu", B=1, unbatched=True, h0=True),
        Case("lstm_unbatched", "lstm", B=1, unbatched=True),
        Case("gru_unbatched", "gru", B=1, unbatched=True),
        Case("gru_unbatched_bi_h0", "gru", B=1, unbatched=True, bidir=True, h0=True),
        Case("lstm_unbatched_bi_l2_h0c0", "lstm", B=1, unbatched=True, layers=2, bidir=True,
             h0=True, c0=True),
        Case("lstm_proj_unbatched", "lstm", B=1, unbatched=True, I=6, H=8, P=3, bidir=True),
        # odd sizes
        Case("lstm_i1_h33", "lstm", I=1, H=33),
        Case("gru_i33_h1", "gru", I=33, H=1),
        Case("rnn_tanh_i7_h3_bi", "rnn_tanh", I=7, H=3, bidir=True),
        Case("lstm_i33_h7_bi_l2", "lstm", I=33, H=7, bidir=True, layers=2),
        Case("gru_i3_h33_bi", "gru", I=3, H=33, bidir=True),
        Case("rnn_relu_i1_h1", "rnn_relu", I=1, H=1),
        Case("lstm_i3_h1_bi", "lstm", I=3, H=1, bidir=True),
        Case("lstm_proj_i7_h33_p1", "lstm", I=7, H=33, P=1),
        # one step, one sequence
        Case("lstm_t1_bi", "lstm", T=1, bidir=True, layers=2),
        Case("gru_t1_len", "gru", T=1, B=3, bidir=True, lengths=(1, 1, 1)),
        Case("rnn_tanh_t1", "rnn_tanh", T=1),
        Case("lstm_b1_bi", "lstm", B=1, bidir=True, h0=True, c0=True),
        Case("gru_b1_len_bi", "gru", B=1, T=6, bidir=True, lengths=(4,)),
        Case("rnn_relu_t1_b1", "rnn_relu", T=1, B=1),
        # long sequences
        Case("lstm_long_bi", "lstm", T=300, B=2, I=4, H=8, bidir=True),
        Case("gru_long", "gru", T=300, B=1, I=3, H=6),
        Case("rnn_tanh_long_len", "rnn_tanh", T=300, B=3, I=3, H=5, lengths=(300, 17, 151)),
        # weights stored in other dtypes
        Case("lstm_f16_bi_l2", "lstm", bidir=True, layers=2, dtype="F16"),
        Case("gru_bf16_bi", "gru", bidir=True, dtype="BF16"),
        Case("rnn_tanh_bf16", "rnn_tanh", dtype="BF16"),
        Case("lstm_proj_f64", "lstm", I=6, H=8, P=3, layers=2, dtype="F64"),
        # a whole model's state_dict: recur must pick the module named by prefix
        Case("prefix_lstm_bi_l2", "lstm", layers=2, bidir=True, prefix="encoder.rnn"),
        Case("prefix_gru_decoder", "gru", prefix="decoder.rnn", h0=True),
        # no "cell" metadata: recur infers the cell from the shapes (rnn_relu cannot be)
        Case("nocell_rnn_tanh", "rnn_tanh", layers=2, cell_meta=False),
        Case("nocell_lstm", "lstm", bidir=True, cell_meta=False),
        Case("nocell_gru", "gru", bidir=True, layers=2, cell_meta=False),
        Case("nocell_lstm_proj", "lstm", I=6, H=8, P=3, cell_meta=False),
    ]
    for cell in CELLS:  # NaN stays NaN, +-Inf saturates: as in PyTorch
        out += nonfinite_cases(cell)
    return out


def wrap_in_model(rnn, case):
    """A model holding rnn at case.prefix (encoder.rnn or decoder.rnn), a Linear fc and, for
    decoder.rnn, another RNN of the same cell at encoder.rnn."""
    model = torch.nn.Module()
    model.encoder = torch.nn.Module()
    model.decoder = torch.nn.Module()
    if case.prefix == "encoder.rnn":
        model.encoder.rnn = rnn
    elif case.prefix == "decoder.rnn":
        model.encoder.rnn = build_module(case.cell, 4, 5)
        model.decoder.rnn = rnn
    else:
        raise ValueError(f"{case.name}: unsupported prefix {case.prefix}")
    model.fc = torch.nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), 2)
    return model


def make_inputs(case):
    """The input and optional initial states and lengths, ~N(0, 1)."""
    dirs = 2 if case.bidir else 1
    x_shape = ((case.T, case.I) if case.unbatched else
               (case.B, case.T, case.I) if case.batch_first else (case.T, case.B, case.I))
    state_batch = () if case.unbatched else (case.B,)
    x = torch.randn(x_shape)
    h0 = torch.randn((case.layers * dirs,) + state_batch + (case.P or case.H,)) if case.h0 \
        else None
    c0 = torch.randn((case.layers * dirs,) + state_batch + (case.H,)) if case.c0 else None
    lengths = torch.tensor(case.lengths, dtype=torch.int64) if case.lengths else None
    arrays = {"x": x, "h0": h0, "c0": c0}
    for name, index, value in case.nonfinite:
        if name in arrays:
            arrays[name][index] = value
    return x, h0, c0, lengths


def run(rnn, case, x, h0, c0, lengths):
    """torch's (y, h_n, c_n or None), in the dtype of rnn and x."""
    hx = h0
    if case.cell == "lstm":
        hx = None
        if h0 is not None or c0 is not None:
            dirs = 2 if case.bidir else 1
            batch = () if case.unbatched else (case.B,)
            zeros = lambda n: torch.zeros((case.layers * dirs,) + batch + (n,), dtype=x.dtype)
            hx = (zeros(case.P or case.H) if h0 is None else h0.to(x.dtype),
                  zeros(case.H) if c0 is None else c0.to(x.dtype))
    elif hx is not None:
        hx = hx.to(x.dtype)
    if lengths is None:
        y, state = rnn(x, hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x, lengths, batch_first=case.batch_first, enforce_sorted=False)
        y, state = rnn(packed, hx)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(
            y, batch_first=case.batch_first, total_length=case.T)
    h_n, c_n = state if case.cell == "lstm" else (state, None)
    return y, h_n, c_n


def generate(case, folder):
    """Writes one case's files; returns the float32 outputs' worst distance from a float64 run
    of the same weights, in units of the test tolerance."""
    torch.manual_seed(zlib.crc32(case.name.encode()))
    rnn = build_module(case.cell, case.I, case.H, case.layers, case.bidir, case.P, case.bias,
                       case.batch_first)
    with torch.no_grad():  # the weights recur will see: as stored, then converted to fp32
        for p in rnn.parameters():
            p.copy_(p.to(EXPORT_DTYPES[case.dtype]).float())
        for name, index, value in case.nonfinite:
            if hasattr(rnn, name):
                getattr(rnn, name)[index] = value
    x, h0, c0, lengths = make_inputs(case)
    base = os.path.join(folder, case.name)

    model = wrap_in_model(rnn, case) if case.prefix else rnn
    if case.cell_meta:
        export(model, base + ".safetensors", prefix=case.prefix, dtype=case.dtype)
    else:
        write_safetensors(base + ".safetensors", dict(model.state_dict()), {"format": FORMAT})

    with torch.no_grad():
        outputs = run(rnn, case, x, h0, c0, lengths)
        exact = run(rnn.double(), case, x.double(), h0, c0, lengths)
    arrays = {"x": x, "h0": h0, "c0": c0, "len": lengths,
              "y": outputs[0], "hn": outputs[1], "cn": outputs[2]}
    for suffix, tensor in arrays.items():
        if tensor is not None:
            np.save(f"{base}.{suffix}.npy", tensor.numpy())

    return max(distance(a, b, case.name) for a, b in zip(outputs, exact) if a is not None)


def distance(got, want, name):
    """The worst |got - want| in units of the test tolerance; NaN and +-Inf must sit at the same
    places in both (a case whose non-finite values depend on rounding would be no test)."""
    got = got.double()
    finite = torch.isfinite(want)
    same = torch.where(finite, torch.isfinite(got),
                       (torch.isnan(got) & torch.isnan(want)) | (got == want))
    if not bool(same.all()):
        raise ValueError(f"{name}: float32 and float64 disagree on NaN or Inf")
    if not bool(finite.any()):
        return 0.0
    err = (got - want).abs() / (1e-5 + 1e-5 * want.abs())
    return float(err[finite].max())


def manifest_line(case):
    flags = dict(cell=case.cell, layers=case.layers, bidir=int(case.bidir),
                 batch_first=int(case.batch_first), unbatched=int(case.unbatched),
                 h0=int(case.h0), c0=int(case.c0), lengths=int(bool(case.lengths)),
                 T=case.T, B=case.B, I=case.I, H=case.H, P=case.P, bias=int(case.bias),
                 dtype=case.dtype, cell_meta=int(case.cell_meta))
    if case.prefix:
        flags["prefix"] = case.prefix
    if case.nonfinite:
        flags["nonfinite"] = ",".join(f"{name}:{value}" for name, _, value in case.nonfinite)
    return " ".join([case.name] + [f"{k}={v}" for k, v in flags.items()])


def main(names):
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    all_cases = cases()
    assert len({c.name for c in all_cases}) == len(all_cases), "duplicate case names"
    unknown = set(names) - {c.name for c in all_cases}
    assert not unknown, f"no such case: {', '.join(sorted(unknown))}"
    if not names:
        for name in os.listdir(OUT_DIR):  # stale cases must not survive a regeneration
            if name.endswith((".npy", ".safetensors")) or name == "manifest.txt":
                os.remove(os.path.join(OUT_DIR, name))
    lines, worst = [], (0.0, "")
    for case in all_cases:
        lines.append(manifest_line(case))
        if not names or case.name in names:
            worst = max(worst, (generate(case, OUT_DIR), case.name))
    with open(os.path.join(OUT_DIR, "manifest.txt"), "w") as f:
        f.write(MANIFEST_HEADER + "\n".join(lines) + "\n")
    print(f"{len(lines)} cases in {OUT_DIR}; torch fp32 vs fp64 worst: {worst[0]:.3f} x the "
          f"tolerance ({worst[1]})")


if __name__ == "__main__":
    main(sys.argv[1:])
