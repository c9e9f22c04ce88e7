#!/usr/bin/python3
"""Regenerates examples/observer.safetensors, the model of examples/lstm_timestep.f90: a
unidirectional 2-layer LSTM (input 1, hidden 16, proj_size 1) trained to estimate a damped,
driven oscillator's velocity from its position alone, one time step at a time.

    /usr/bin/python3 examples/make_observer.py

Each sequence is an oscillator x'' = -w^2 x - g x' + u(t) with w, g, the initial state and
a piecewise-constant force u drawn at random, integrated with the same semi-implicit Euler
step (dt = 0.05) as the Fortran example; the input is x(t), the target x'(t). Seeded: the same
torch version writes the same file.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from export_torch import export  # noqa: E402

DT = 0.05


def trajectories(n, steps, gen):
    """n random trajectories: positions (steps, n, 1) and velocities (steps, n, 1)."""
    w = 0.5 + 1.5 * torch.rand(n, generator=gen)
    g = 0.3 * torch.rand(n, generator=gen)
    x = 2 * torch.rand(n, generator=gen) - 1
    v = 2 * torch.rand(n, generator=gen) - 1
    xs, vs = [], []
    u = torch.zeros(n)
    for t in range(steps):
        if t % 20 == 0:  # a new force every second, for a third of the sequences
            u = (2 * torch.rand(n, generator=gen) - 1) * (torch.rand(n, generator=gen) < 0.3)
        v = v + DT * (-w * w * x - g * v + u)
        x = x + DT * v
        xs.append(x.clone())
        vs.append(v.clone())
    return torch.stack(xs).unsqueeze(-1), torch.stack(vs).unsqueeze(-1)


def main():
    torch.manual_seed(15)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(15)
    lstm = torch.nn.LSTM(input_size=1, hidden_size=16, num_layers=2, proj_size=1)
    opt = torch.optim.Adam(lstm.parameters(), lr=1e-2)
    for it in range(800):
        x, v = trajectories(64, 100, gen)
        y, _ = lstm(x)
        loss = torch.mean((y[10:] - v[10:]) ** 2)  # the first half second has too little history
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 200 == 199:
            print(f"step {it + 1}: mse {loss.item():.5f}")
    export(lstm, os.path.join(HERE, "observer.safetensors"))
    print(f"wrote observer.safetensors in {HERE}")


if __name__ == "__main__":
    main()
