#!/usr/bin/python3
"""Regenerates the bundled demo: a 2-layer bidirectional LSTM (I=16, H=32), an input of
T=20 steps x B=4 sequences, and torch's output for it.

    /usr/bin/python3 examples/make_example.py
    build/recur run examples/lstm.safetensors examples/input.npy -o y.npy
    # y.npy matches examples/expected_y.npy (20, 4, 64)
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from export_torch import export  # noqa: E402


def main():
    torch.manual_seed(2024)
    torch.set_num_threads(1)
    lstm = torch.nn.LSTM(input_size=16, hidden_size=32, num_layers=2, bidirectional=True)
    x = torch.randn(20, 4, 16)
    with torch.no_grad():
        y, _ = lstm(x)
    export(lstm, os.path.join(HERE, "lstm.safetensors"))
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "expected_y.npy"), y.numpy())
    print(f"wrote lstm.safetensors, input.npy {tuple(x.shape)}, expected_y.npy "
          f"{tuple(y.shape)} in {HERE}")


if __name__ == "__main__":
    main()
