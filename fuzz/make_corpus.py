#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora, fuzz/corpus/{safetensors,npy,cli,tunefile}/: a few
valid files (golden models and numpy's own .npy files from tests/data, small hand-made ones, a
tune file `recur tune` wrote) and one crafted file per kind of damage the parsers must refuse.
Inputs libFuzzer found and that were merged into the corpus (named by their SHA-1) are left
alone. Standard library only; run it again after changing it: the output is deterministic.

    /usr/bin/python3 fuzz/make_corpus.py
"""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
NPY_DATA = os.path.join(ROOT, "tests", "data", "npy")

GOLDEN_MODELS = [
    "rnn_relu_i1_h1", "rnn_tanh_nobias", "rnn_tanh_bf16", "rnn_tanh_i7_h3_bi", "gru_i33_h1",
    "gru_bf16_bi", "lstm_i3_h1_bi", "nocell_lstm_proj", "prefix_gru_decoder", "lstm_f16_bi_l2",
    "lstm_proj_f64",
]


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---------------------------------------------------------------------------------------------
# safetensors

def safetensors(header, data=b""):
    """A file from a header (a dict, or raw JSON text) and a data section."""
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw + data


def tensors(specs, meta=None):
    """specs: (name, dtype, shape) with F32 zeros, laid out back to back."""
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I32": 4}
    header, at = {}, 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, dtype, shape in specs:
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + n]}
        at += n
    return header, bytes(at)


def rnn(prefix="", gates=1, inp=2, hidden=2, layers=1, bidir=False, proj=0, bias=True,
        dtype="F32"):
    out = proj or hidden
    specs = []
    for k in range(layers):
        for rev in ["", "_reverse"] if bidir else [""]:
            cols = inp if k == 0 else (2 if bidir else 1) * out
            specs.append((f"{prefix}weight_ih_l{k}{rev}", dtype, [gates * hidden, cols]))
            specs.append((f"{prefix}weight_hh_l{k}{rev}", dtype, [gates * hidden, out]))
            if bias:
                specs.append((f"{prefix}bias_ih_l{k}{rev}", dtype, [gates * hidden]))
                specs.append((f"{prefix}bias_hh_l{k}{rev}", dtype, [gates * hidden]))
            if proj:
                specs.append((f"{prefix}weight_hr_l{k}{rev}", dtype, [proj, hidden]))
    return specs


def safetensors_corpus():
    for name in GOLDEN_MODELS:
        shutil.copy(os.path.join(GOLDEN, name + ".safetensors"),
                    os.path.join(CORPUS, "safetensors", "golden_" + name))
    valid = {
        "rnn_tiny": rnn(),
        "gru_bi_l2": rnn(gates=3, layers=2, bidir=True),
        "lstm_proj_l2": rnn(gates=4, hidden=3, layers=2, proj=2),
        "lstm_nobias_f16": rnn(gates=4, bias=False, dtype="F16"),
        "rnn_bf16_f64": rnn(dtype="BF16") + [("x.weight_ih_l0", "F64", [1, 1])],
        "prefixed": rnn(prefix="decoder.rnn.", gates=3),
    }
    for name, specs in valid.items():
        write("safetensors", "valid_" + name, safetensors(*tensors(specs)))
    header, data = tensors(rnn(gates=3), meta={"cell": "gru"})
    write("safetensors", "valid_meta_cell", safetensors(header, data))

    def broken(name, header, data=b""):
        write("safetensors", "bad_" + name, safetensors(header, data))

    good_header, good_data = tensors(rnn())
    write("safetensors", "bad_short", b"\x10\x00\x00")
    write("safetensors", "bad_header_past_end", struct.pack("<Q", 1 << 40) + b"{}")
    write("safetensors", "bad_truncated_data", safetensors(good_header, good_data[:-3]))
    broken("extra_data", good_header, good_data + b"\0\0\0\0")
    broken("not_json", '{"weight_ih_l0": {"dtype": "F32",')
    broken("not_object", "[1, 2, 3]")
    broken("duplicate_key", '{"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                            '"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4))
    broken("unknown_dtype", {"weight_ih_l0": {"dtype": "F128", "shape": [1],
                                              "data_offsets": [0, 16]}}, bytes(16))
    broken("negative_dim", {"weight_ih_l0": {"dtype": "F32", "shape": [-1, 2],
                                             "data_offsets": [0, 8]}}, bytes(8))
    broken("terabyte_tensor", {"weight_ih_l0": {"dtype": "F32", "shape": [1 << 20, 1 << 20],
                                                "data_offsets": [0, 1 << 42]}}, bytes(8))
    broken("count_overflow", {"weight_ih_l0": {"dtype": "F32", "shape": [1 << 62, 1 << 62],
                                               "data_offsets": [0, 8]}}, bytes(8))
    broken("nine_dims", {"weight_ih_l0": {"dtype": "F32", "shape": [1] * 9,
                                          "data_offsets": [0, 4]}}, bytes(4))
    broken("overlap", {"weight_ih_l0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "weight_hh_l0": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
           bytes(12))
    broken("gap", {"weight_ih_l0": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
           bytes(8))
    broken("offsets_reversed", {"weight_ih_l0": {"dtype": "F32", "shape": [1],
                                                 "data_offsets": [8, 4]}}, bytes(8))
    broken("unknown_field", {"weight_ih_l0": {"dtype": "F32", "shape": [1],
                                              "data_offsets": [0, 4], "x": 1}}, bytes(4))
    broken("meta_not_string", {"__metadata__": {"cell": 3}})
    broken("meta_cell_unknown", *tensors(rnn(), meta={"cell": "transformer"}))
    broken("meta_cell_wrong", *tensors(rnn(gates=3), meta={"cell": "lstm"}))
    broken("zero_size", *tensors([("weight_ih_l0", "F32", [0, 2]),
                                  ("weight_hh_l0", "F32", [2, 2])]))
    broken("int_dtype", *tensors([("weight_ih_l0", "I32", [2, 2]),
                                  ("weight_hh_l0", "F32", [2, 2])]))
    broken("one_dim_weight", *tensors([("weight_ih_l0", "F32", [4]),
                                       ("weight_hh_l0", "F32", [2, 2])]))
    broken("missing_hh", *tensors([("weight_ih_l0", "F32", [2, 2])]))
    broken("layer_gap", *tensors(rnn() + [("weight_ih_l2", "F32", [2, 2]),
                                          ("weight_hh_l2", "F32", [2, 2])]))
    broken("huge_layer", *tensors(rnn() + [("weight_ih_l2147483647", "F32", [2, 2])]))
    broken("leading_zero", *tensors(rnn() + [("weight_ih_l01", "F32", [2, 2])]))
    broken("projection_in_gru", *tensors(rnn(gates=3) + [("weight_hr_l0", "F32", [1, 2])]))
    broken("proj_too_big", *tensors(rnn(gates=4, proj=2, hidden=2)))
    broken("two_modules", *tensors(rnn(prefix="a.") + rnn(prefix="b.")))
    broken("not_rnn_name", *tensors(rnn() + [("weight_xx_l0", "F32", [1])]))
    broken("ratio_five", *tensors([("weight_ih_l0", "F32", [10, 2]),
                                   ("weight_hh_l0", "F32", [10, 2])]))
    broken("wrong_hh_shape", *tensors([("weight_ih_l0", "F32", [2, 3]),
                                       ("weight_hh_l0", "F32", [2, 3])]))
    broken("dtype_not_string", {"weight_ih_l0": {"dtype": 32, "shape": [1],
                                                 "data_offsets": [0, 4]}}, bytes(4))
    broken("byte_count_overflow", {"weight_ih_l0": {"dtype": "F32", "shape": [1 << 62, 2],
                                                    "data_offsets": [0, 8]}}, bytes(8))
    broken("projection_with_gru_cell", *tensors(rnn(gates=4, hidden=3, proj=2),
                                                meta={"cell": "gru"}))
    broken("projection_with_rnn_cell", *tensors(rnn(gates=1, hidden=4, proj=2),
                                                meta={"cell": "rnn_relu"}))
    broken("projection_one_dim", *tensors(rnn(gates=4, hidden=3)
                                          + [("weight_hr_l0", "F32", [2])]))


# ---------------------------------------------------------------------------------------------
# .npy

def npy(header, data=b"", version=1):
    text = header.encode()
    pad = (64 - (10 + len(text) + 1) % 64) % 64 if version == 1 else 0
    text += b" " * pad + b"\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def npy_corpus():
    for name in sorted(os.listdir(NPY_DATA)):
        shutil.copy(os.path.join(NPY_DATA, name), os.path.join(CORPUS, "npy", "numpy_" + name))
    dict_f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"
    write("npy", "valid_native_order", npy("{'descr': '=i8', 'fortran_order': False, "
                                           "'shape': (2,), }", bytes(16)))
    write("npy", "valid_v3_tabs", npy("{\t'shape': (1, 1,),'descr':'>i4','fortran_order':False}",
                                      bytes(4), version=3))
    write("npy", "valid_8_dims", npy(dict_f4 % "(1, 1, 1, 1, 1, 1, 1, 2)", bytes(8)))
    write("npy", "bad_no_magic", b"\x93NUMPX\x01\x00")
    write("npy", "bad_version", npy(dict_f4 % "(1,)", bytes(4))[:6] + b"\x04\x00" + bytes(4))
    write("npy", "bad_header_past_end", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{")
    write("npy", "bad_no_newline", b"\x93NUMPY\x01\x00\x04\x00{}  ")
    write("npy", "bad_short_data", npy(dict_f4 % "(2, 3)", bytes(20)))
    write("npy", "bad_not_tuple", npy(dict_f4 % "(5)", bytes(20)))
    write("npy", "bad_negative_dim", npy(dict_f4 % "(-3,)"))
    write("npy", "bad_dim_overflow", npy(dict_f4 % "(99999999999999999999,)"))
    write("npy", "bad_size_overflow", npy(dict_f4 % "(4294967296, 4294967296)"))
    write("npy", "bad_nine_dims", npy(dict_f4 % "(1, 1, 1, 1, 1, 1, 1, 1, 1)", bytes(4)))
    write("npy", "bad_unknown_key", npy("{'descr': '<f4', 'fortran_order': False, "
                                        "'shape': (), 'x': 1}", bytes(4)))
    write("npy", "bad_duplicate_key", npy("{'descr': '<f4', 'descr': '<f4', "
                                          "'fortran_order': False, 'shape': ()}", bytes(4)))
    write("npy", "bad_missing_key", npy("{'descr': '<f4', 'shape': ()}", bytes(4)))
    write("npy", "valid_fortran", npy("{'descr': '>f8', 'fortran_order': True, "
                                      "'shape': (2, 1, 3)}", bytes(48)))
    write("npy", "bad_structured", npy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                       "'shape': ()}", bytes(4)))
    write("npy", "bad_dtype", npy("{'descr': '<c8', 'fortran_order': False, 'shape': ()}",
                                  bytes(8)))
    write("npy", "bad_string", npy("{'descr': '<f4\\', 'fortran_order': False, 'shape': ()}"))
    write("npy", "bad_trailing_text", npy("{'descr': '<f4', 'fortran_order': False, "
                                          "'shape': ()} x", bytes(4)))


# ---------------------------------------------------------------------------------------------
# command line: the arguments after the program name, NUL-separated

CLI = {
    "run_minimal": ["run", "m.safetensors", "x.npy"],
    "run_everything": ["run", "m.safetensors", "x.npy", "-o", "y.npy", "--hn", "hn.npy", "--cn",
                       "cn.npy", "--h0", "h0.npy", "--c0", "c0.npy", "--lengths", "len.npy",
                       "--batch-first", "--prefix", "encoder.rnn", "--threads", "4", "--isa",
                       "avx512"],
    "run_equals": ["run", "--threads=2", "--isa=scalar", "-o=y.npy", "m", "x"],
    "run_dash_file": ["run", "-", "-"],
    "run_help": ["run", "-h", "--bogus"],
    "info": ["info"],
    "info_help": ["info", "--help"],
    "help": ["--help"],
    "version": ["--version"],
    "bad_empty": [],
    "bad_empty_command": [""],
    "bad_command": ["walk"],
    "bad_option": ["run", "m", "x", "--fast"],
    "bad_threads": ["run", "m", "x", "--threads", "01025"],
    "bad_threads_sign": ["run", "m", "x", "--threads=-1"],
    "bad_isa": ["run", "m", "x", "--isa", "sse\x01"],
    "bad_twice": ["run", "m", "x", "-o", "a", "-o", "b"],
    "bad_same_output": ["run", "m", "x", "-o", "a", "--hn", "a"],
    "bad_missing_value": ["run", "m", "x", "--prefix"],
    "bad_empty_value": ["run", "m", "x", "--prefix="],
    "bad_flag_value": ["run", "m", "x", "--batch-first=1"],
    "bad_extra": ["run", "m", "x", "y"],
    "bad_missing_input": ["run", "m"],
    "bad_version_extra": ["--version", "x"],
    "bad_info_extra": ["info", "x"],
    "info_peak": ["info", "--peak"],
    "bench_quick": ["bench", "--quick"],
    "bench_thread_list": ["bench", "--threads", "1,2,4", "--quick"],
    "bad_bench_thread_twice": ["bench", "--threads=2,2"],
    "bench_everything": ["bench", "--cells", "lstm,bilstm", "--shapes", "50,1,512;25,4,64,128,32",
                         "--isa", "all", "--threads", "2", "--json", "--vs-onednn"],
    "bench_equals": ["bench", "--cells=gru", "--shapes=1,1,1", "--csv", "--onednn-only"],
    "bad_bench_cells": ["bench", "--cells", "lstm,lstm"],
    "bad_bench_shape": ["bench", "--shapes", "50,1"],
    "bad_bench_projection": ["bench", "--cells", "gru", "--shapes", "5,1,8,8,4"],
    "bad_bench_formats": ["bench", "--csv", "--json"],
}


def cli_corpus():
    for name, args in CLI.items():
        write("cli", name, "\0".join(args))

# ---------------------------------------------------------------------------------------------
# tune file

# What `recur tune --cells lstm --shapes '5,2,16,16' --time-limit 5` wrote on the development
# machine.
TUNE_HEADER = """\
# recur tune file, written by `recur tune`: any malformed line voids the whole file
version=0.1.0
cpu.vendor=AuthenticAMD
cpu.family=26
cpu.model=2
cpu.stepping=1
cpu.features=0x3f
cpu.l1d=49152
cpu.l2=1048576
cpu.l3=402653184
"""
TUNE_ENTRY = ("entry cell=lstm isa=avx512 precision=fp32 dirs=1 I=16 H=16 P=0 threads=2 B=2 nv=1 nv_proj=0 "
              "kc=16384 kc_input=16384 mr=2 chunk=512 mc=256 split=batch bparts=1 groups=1 use=1 "
              "default_ms=0.0018 tuned_ms=0.0010\n")


def tune_entry(**fields):
    """TUNE_ENTRY with some fields replaced (None: left out), or more added, in its order."""
    pairs = [kv.split("=", 1) for kv in TUNE_ENTRY.split()[1:]]
    out = []
    for k, v in pairs:
        v = fields.pop(k, v)
        if v is not None:
            out.append(f"{k}={v}")
    out += [f"{k}={v}" for k, v in fields.items()]
    return "entry " + " ".join(out) + "\n"


def ended(text):
    """text and the entries=N line that ends every tune file."""
    return text + f"entries={sum(line.startswith('entry ') for line in text.splitlines())}\n"


def tune_corpus():
    write("tunefile", "valid_recur_tune", ended(TUNE_HEADER + TUNE_ENTRY))
    write("tunefile", "valid_header_only", ended(TUNE_HEADER))
    # several network shapes, batches and thread counts; comments and blank lines
    write("tunefile", "valid_many", ended(TUNE_HEADER + "\n# more\n" + TUNE_ENTRY
          + tune_entry(B=8, mr=4, chunk=1024, mc=0, split="hidden", use=2)
          + tune_entry(threads=1, B=4, use=1)
          + tune_entry(dirs=2, groups=2, H=32, P=8, nv=2, nv_proj=4, kc=32, kc_input=64)
          + tune_entry(dirs=2, groups=1, H=32, P=8, nv=2, nv_proj=4, kc=32, kc_input=64, B=16)
          + tune_entry(cell="gru", isa="avx2", nv=4, mr=0, default_ms=12.5, tuned_ms=11)
          + tune_entry(precision="bf16", kc=8, kc_input=8)
          + tune_entry(precision="int8", kc=16, kc_input=16)
          + tune_entry(cell="rnn_tanh", isa="avx2", nv=8, I=1, H=1, B=1, threads=1024,
                       use=1024, mr=8, default_ms="0", tuned_ms="0.0000")
          + tune_entry(cell="rnn_relu", isa="neon", I=268435456, H=268435456, B=268435456,
                       kc=268435456, kc_input=268435456, chunk=268435456, mc=268435456)
          + "\n"))
    # fields in another order, decimal features, leading zeros, extra spaces, another version
    fields = TUNE_ENTRY.split()[1:]
    write("tunefile", "valid_unordered", ended(TUNE_HEADER.replace("0x3f", "63")
          .replace("version=0.1.0", "version=9.9.9-dev+x").replace("B=2", "B=02")
          + "entry " + "  ".join(reversed(fields)) + " \n"))
    write("tunefile", "valid_header_reordered", ended("".join(sorted(TUNE_HEADER.splitlines(True)))
          + TUNE_ENTRY))

    def bad(name, text, end=True):
        write("tunefile", "bad_" + name, ended(text) if end else text)

    full = TUNE_HEADER + TUNE_ENTRY
    bad("empty", "", end=False)
    bad("truncated", ended(full)[:-40], end=False)
    bad("truncated_header", TUNE_HEADER[:-len("cpu.l3=402653184\n")])
    bad("cut_at_line_end", full, end=False)
    bad("wrong_count", full + "entries=2\n", end=False)
    bad("line_after_end", ended(full) + TUNE_ENTRY.replace("B=2", "B=3"), end=False)
    bad("isa_scalar", TUNE_HEADER + tune_entry(isa="scalar"))
    bad("crlf", full.replace("\n", "\r\n"))
    bad("tab", full.replace("dirs=1 ", "dirs=1\t"))
    bad("nul", full.replace("mr=2", "mr=2\0"))
    bad("entry_before_header", TUNE_ENTRY + TUNE_HEADER)
    bad("entry_mid_header", TUNE_HEADER.replace("cpu.l3", TUNE_ENTRY + "cpu.l3"))
    bad("unknown_header_key", TUNE_HEADER + "cpu.l4=1\n" + TUNE_ENTRY)
    bad("unknown_entry_key", TUNE_HEADER + tune_entry(speed=2))
    bad("duplicate_header_key", TUNE_HEADER + "cpu.model=2\n" + TUNE_ENTRY)
    bad("duplicate_entry_key", TUNE_HEADER + tune_entry().replace("mr=2", "mr=2 mr=3"))
    bad("duplicate_entry", full + TUNE_ENTRY.replace("mr=2", "mr=3"))
    bad("two_packings", full + tune_entry(B=4, kc=8))
    bad("missing_field", TUNE_HEADER + tune_entry(kc_input=None))
    bad("not_key_value", TUNE_HEADER + tune_entry().replace("mr=2", "mr"))
    bad("header_not_key_value", TUNE_HEADER + "version\n")
    bad("bare_entry", TUNE_HEADER + "entry\n")
    bad("empty_value", TUNE_HEADER + tune_entry(mc=""))
    for field, value in [("dirs", "3"), ("I", "0"), ("H", "268435457"), ("threads", "1025"),
                         ("B", "-1"), ("nv", "3"), ("nv", "8"), ("nv_proj", "1"),
                         ("mr", "9"), ("chunk", "0"), ("split", "auto"), ("groups", "2"),
                         ("use", "3"), ("cell", "LSTM"), ("isa", "sse"), ("kc", "0x10"),
                         ("precision", "int4"), ("precision", "BF16"), ("precision", ""),
                         ("default_ms", "-1"), ("default_ms", "nan"), ("tuned_ms", "inf"),
                         ("tuned_ms", "+1"), ("default_ms", "1e400"), ("default_ms", "1e3"),
                         ("default_ms", "0,5"), ("tuned_ms", "1.00001"),
                         ("mc", "12345678901234567"), ("P", "16")]:
        bad(f"value_{field}_{value}", TUNE_HEADER + tune_entry(**{field: value}))
    bad("projection_in_gru", TUNE_HEADER + tune_entry(cell="gru", H=32, P=8, nv_proj=1))
    for key, value in [("version", ""), ("version", "x" * 32), ("cpu.vendor", "Genuine Intel"),
                       ("cpu.family", "1073741825"), ("cpu.features", "0x100000000"),
                       ("cpu.features", "0X3f"), ("cpu.l3", "1125899906842625")]:
        old = next(line for line in TUNE_HEADER.splitlines() if line.startswith(key + "="))
        bad(f"header_{key}_{value[:12].replace(' ', '_')}",
            TUNE_HEADER.replace(old, f"{key}={value}") + TUNE_ENTRY)


def is_found(name):
    """An input libFuzzer found (named by its SHA-1), kept across runs of this script."""
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)


def main():
    for target in ["safetensors", "npy", "cli", "tunefile"]:
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if not is_found(name):
                os.remove(os.path.join(folder, name))
    safetensors_corpus()
    npy_corpus()
    cli_corpus()
    tune_corpus()


if __name__ == "__main__":
    main()
