#!/bin/bash
# Sets up, builds and runs recur's demo: the bundled 2-layer bidirectional LSTM on a bundled
# input, compared with PyTorch's output for the same model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
[[ -d build ]] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "== build/recur info"
build/recur info
echo
echo "== build/recur run examples/lstm.safetensors examples/input.npy"
build/recur run examples/lstm.safetensors examples/input.npy
echo
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
build/recur run examples/lstm.safetensors examples/input.npy -o "$tmp/y.npy"
/usr/bin/python3 - "$tmp/y.npy" examples/expected_y.npy <<'PY'
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(got - want).max()
ok = np.all(np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want))
print(f"== against PyTorch's output: max |difference| {err:.2e} over {got.size} values: {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY
