"""The installed Python package, as a user imports it (tests/install/run.sh): `import recur`
from the installed tree, the extension loading the installed librecur, and an LSTM made from
literal weights (recur.load_bytes) against PyTorch's LSTM equations in NumPy (float64).
Usage: consumer.py LIBDIR PACKAGE_DIR: where librecur and the package must come from."""
import os
import sys

import numpy as np

import recur
from recur import _safetensors

lib_dir, package_dir = (os.path.realpath(p) for p in sys.argv[1:3])
assert os.path.realpath(os.path.dirname(recur.__file__)) == package_dir, recur.__file__
with open("/proc/self/maps") as maps:
    loaded = {line.split()[-1] for line in maps if "librecur.so" in line}
assert loaded and all(os.path.dirname(os.path.realpath(p)) == lib_dir for p in loaded), loaded

T, I, H = 3, 3, 2
rng = np.random.default_rng(0)
weights = {"weight_ih_l0": rng.uniform(-0.9, 0.9, (4 * H, I)),
           "weight_hh_l0": rng.uniform(-0.9, 0.9, (4 * H, H)),
           "bias_ih_l0": rng.uniform(-0.9, 0.9, 4 * H), "bias_hh_l0": rng.uniform(-0.9, 0.9, 4 * H)}
weights = {k: v.astype("<f4") for k, v in weights.items()}
model = _safetensors.encode({k: ("F32", v.shape, v.tobytes()) for k, v in weights.items()},
                            {"cell": "lstm"})
x = rng.uniform(-0.9, 0.9, (T, I)).astype(np.float32)

with recur.load_bytes(model) as net:
    y, (h_n, c_n) = net(x)

sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
w = {k: v.astype(np.float64) for k, v in weights.items()}
h, c, want = np.zeros(H), np.zeros(H), []
for t in range(T):  # PyTorch's nn.LSTM: gates i, f, g, o
    g = w["weight_ih_l0"] @ x[t] + w["bias_ih_l0"] + w["weight_hh_l0"] @ h + w["bias_hh_l0"]
    i, f, gg, o = sigmoid(g[:H]), sigmoid(g[H:2 * H]), np.tanh(g[2 * H:3 * H]), sigmoid(g[3 * H:])
    c = f * c + i * gg
    h = o * np.tanh(c)
    want.append(h)
for name, got, ref in (("y", y, np.array(want)), ("h_n", h_n[0], h), ("c_n", c_n[0], c)):
    assert np.all(np.abs(got - ref) <= 1e-5 + 1e-5 * np.abs(ref)), (name, got, ref)
print(f"installed recur {recur.__version__} from {package_dir}: an LSTM matches torch's equations")
