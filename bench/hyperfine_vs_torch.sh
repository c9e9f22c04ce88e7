#!/bin/bash
# Whole-command timing of `recur run` against PyTorch doing the same work (bench/torch_run.py)
# on the same exported model and input, with hyperfine. Prints hyperfine's report, checks the
# two outputs agree, and prints torch's mean time over recur's.
#
#   bench/hyperfine_vs_torch.sh [CELL [T B I H [THREADS]]]     default: lstm 100 32 512 512 1
#
# CELL is rnn_tanh, rnn_relu, lstm or gru. Needs hyperfine and Debian's python3-torch
# (/usr/bin/python3), and a built build/recur (or RECUR=path). Set TASKSET="taskset -c 1"
# to pin both commands to one core.
set -euo pipefail
cd "$(dirname "$0")/.."
cell=${1:-lstm} T=${2:-100} B=${3:-32} I=${4:-512} H=${5:-512} threads=${6:-1}
recur=${RECUR:-build/recur}
py=/usr/bin/python3
pin=${TASKSET:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$py tools/export_torch.py --cell "$cell" --input-size "$I" --hidden-size "$H" \
  -o "$tmp/model.safetensors" >/dev/null
$py -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(0)
  .uniform(-1, 1, ($T, $B, $I)).astype(np.float32))" "$tmp/x.npy"

# Which BLAS Debian's torch calls (nn.LSTM's CPU path is its own loops over BLAS sgemm).
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || echo unknown)
openblas=$(dpkg-query -W -f='${Status}' libopenblas0-openmp 2>/dev/null || true)
echo "torch $($py -c 'import torch; print(torch.__version__)'), BLAS_INFO=$($py -c \
  'import torch, re; print(re.search(r"BLAS_INFO=(\w+)", torch.__config__.show()).group(1))'),"\
  "libblas.so.3 -> $blas, libopenblas0-openmp: ${openblas:-not installed}"
echo "$cell T=$T B=$B I=$I H=$H, $threads thread(s)"

recur_cmd="$pin $recur run $tmp/model.safetensors $tmp/x.npy -o $tmp/y_recur.npy --threads $threads"
torch_cmd="$pin $py bench/torch_run.py $tmp/model.safetensors $tmp/x.npy -o $tmp/y_torch.npy --threads $threads"
OMP_NUM_THREADS=$threads hyperfine --warmup 2 --min-runs 10 --export-json "$tmp/times.json" \
  -n recur "$recur_cmd" -n torch "$torch_cmd"

$py - "$tmp" <<'PY'
import json, sys
import numpy as np
tmp = sys.argv[1]
a, b = np.load(f"{tmp}/y_recur.npy"), np.load(f"{tmp}/y_torch.npy")
print(f"outputs agree: {np.allclose(a, b, rtol=1e-4, atol=1e-5)} "
      f"(max |diff| {np.abs(a - b).max():.2e})")
times = {r["command"]: r for r in json.load(open(f"{tmp}/times.json"))["results"]}
recur, torch = times["recur"]["mean"], times["torch"]["mean"]
print(f"recur {recur * 1e3:.1f} ms, torch {torch * 1e3:.1f} ms: torch/recur = {torch / recur:.2f}")
PY
