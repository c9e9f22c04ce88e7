#!/bin/bash
# The many-core comparison (bench/README.md), run on the many-core machine from a build there:
# recur against oneDNN (bench/recur_onednn), then PyTorch, then ONNX Runtime (bench/peers.py),
# each alone in its own process (their idle threads spin and would steal cores from each
# other), on the DeepBench shapes at THREADS; bench/many_core_table.py then turns the JSON
# files into bench/RESULTS.md's table.
#   bash bench/many_core.sh OUTDIR [THREADS [BUILD]]     (THREADS default 1,4,16; BUILD build)
set -euo pipefail
out=${1:?usage: many_core.sh OUTDIR [THREADS [BUILD]]}
threads=${2:-1,4,16}
build=${3:-build}
here=$(dirname "$0")
mkdir -p "$out"
"$build/recur" info --peak >"$out/info.txt" 2>&1
"$build/bench/recur_onednn" bench --vs-onednn --threads "$threads" --json >"$out/recur.json"
PEERS=torch python3 "$here/peers.py" "$out/torch.json" "$threads" >/dev/null
PEERS=ort python3 "$here/peers.py" "$out/ort.json" "$threads" >/dev/null
