#!/bin/bash
# What `recur tune` gains on this machine, on the default (DeepBench) shapes:
#   1. recur tune --isa all --threads 1,2        -> bench/tune-results/tune.conf
#   2. recur bench --json --threads 1,2 per vector table, with that tune file and without it,
#      ROUNDS (default 4) times each in alternation (a shared machine drifts: the report keeps
#      each case's lowest median)               -> bench/tune-results/*.json
#   3. bench/report on those JSONs               -> bench/tune-results/report.md and plots
#   4. recur bench --vs-defaults --threads 1,2 per vector table with the tune file: tuned and
#      built-in choices in turn, run by run, in one process (the steadiest comparison on a
#      shared machine)                          -> bench/tune-results/vs-defaults-ISA.txt
#   5. recur_onednn bench --vs-onednn --threads 1,2 with the tune file
#                                                -> bench/tune-results/vs-onednn.txt
# Pinned to two cores (CORES, default 0,1). TIME_LIMIT (default 1200 s) caps the tune.
# Needs bench/recur_onednn for step 5 (a build where libdnnl-dev was found).
set -euo pipefail
cd "$(dirname "$0")/.."
recur=${RECUR:-build/recur}
recur_onednn=${RECUR_ONEDNN:-build/bench/recur_onednn}
pin="taskset -c ${CORES:-0,1}"
out=bench/tune-results
mkdir -p "$out"
ninja -C build >/dev/null
tune="$PWD/$out/tune.conf"
none="$PWD/$out/no-such-tune-file"
rm -f "$tune"

echo "recur tune ..." >&2
$pin "$recur" tune --isa all --threads 1,2 --time-limit "${TIME_LIMIT:-1200}" -o "$tune" \
  >"$out/tune.txt"
isas=$(awk '$1 ~ /^(avx512|avx2|neon)$/ {print $1}' "$out/tune.txt" | sort -u)
for round in $(seq "${ROUNDS:-4}"); do
  for isa in $isas; do
    echo "recur bench --isa $isa, round $round ..." >&2
    RECUR_TUNE_FILE=$tune $pin "$recur" bench --json --isa "$isa" --threads 1,2 \
      >"$out/$isa-tuned-$round.json"
    RECUR_TUNE_FILE=$none $pin "$recur" bench --json --isa "$isa" --threads 1,2 \
      >"$out/$isa-default-$round.json"
  done
done
bench/report -o "$out" "$out"/*.json
for isa in $isas; do
  echo "recur bench --vs-defaults --isa $isa ..." >&2
  RECUR_TUNE_FILE=$tune $pin "$recur" bench --vs-defaults --isa "$isa" --threads 1,2 \
    >"$out/vs-defaults-$isa.txt"
done
echo "recur bench --vs-onednn with the tune file ..." >&2
RECUR_TUNE_FILE=$tune $pin "$recur_onednn" bench --vs-onednn --threads 1,2 >"$out/vs-onednn.txt"
echo "done: $out/report.md, $out/tune.txt, $out/vs-defaults-*.txt, $out/vs-onednn.txt" >&2
