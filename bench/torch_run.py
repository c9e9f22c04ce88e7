#!/usr/bin/python3
"""What `recur run MODEL INPUT -o Y` does, in PyTorch: the benchmark's other side.

Reads the safetensors file by hand (an 8-byte little-endian header length, a JSON header,
then the raw tensors), rebuilds the nn.RNN/LSTM/GRU its state_dict describes, runs it on the
input under no_grad and saves y with np.save. Run it with Debian's python3-torch
(/usr/bin/python3).
"""
import argparse
import json
import re
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]])
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).astype(np.float32))
    return tensors, metadata


def build_module(tensors, metadata):
    cell = metadata.get("cell", "rnn_tanh")
    gates_h, input_size = tensors["weight_ih_l0"].shape
    hidden = gates_h // GATES[cell]
    layers = 1 + max(int(m.group(1)) for m in map(re.compile(r"weight_ih_l(\d+)").match, tensors) if m)
    kwargs = dict(input_size=input_size, hidden_size=hidden, num_layers=layers,
                  bias="bias_ih_l0" in tensors,
                  bidirectional=any(n.endswith("_reverse") for n in tensors))
    if cell == "lstm":
        module = torch.nn.LSTM(proj_size=tensors["weight_hr_l0"].shape[0]
                               if "weight_hr_l0" in tensors else 0, **kwargs)
    elif cell == "gru":
        module = torch.nn.GRU(**kwargs)
    else:
        module = torch.nn.RNN(nonlinearity=cell[4:], **kwargs)
    module.load_state_dict(tensors)
    return module.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    module = build_module(*load_safetensors(args.model))
    x = torch.from_numpy(np.load(args.input))
    with torch.no_grad():
        y, _ = module(x)
    np.save(args.output, y.numpy())


if __name__ == "__main__":
    main()
