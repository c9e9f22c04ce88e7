#!/bin/bash
# The many-core comparison, run on the 16-core machine from a bundle of this build (see
# bench/README.md): recur (with oneDNN 2.6 beside it), PyTorch and ONNX Runtime, each alone
# in its own process, on the DeepBench shapes at THREADS; then bench/many_core_table.py
# turns the JSON files into bench/RESULTS.md's table.
#   bash bench/many_core.sh OUTDIR [THREADS]     (THREADS default 1,4,16)
set -u
out=${1:?usage: many_core.sh OUTDIR [THREADS]}
threads=${2:-1,4,16}
run="bash .devbundle/run"
mkdir -p "$out"
$run recur info --peak >"$out/info.txt" 2>&1
$run recur bench --vs-onednn --threads "$threads" --json >"$out/recur.json"
PEERS=torch python3 .devbundle/peers.py "$out/torch.json" "$threads" >/dev/null
PEERS=ort python3 .devbundle/peers.py "$out/ort.json" "$threads" >/dev/null
