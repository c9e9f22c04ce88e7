#!/bin/bash
# examples/lstm_timestep against the C library: the positions the example streamed through its
# LSTM one step at a time, run by `recur run` as one sequence, must give the example's outputs
# and final state byte for byte (both are written by recur_npy_save).
#   check_example.sh LSTM_TIMESTEP RECUR MODEL WORK_DIR
set -euo pipefail
example=$1 recur=$2 model=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
"$example" "$model" "$work" | tee "$work/stdout.txt"
grep -q '^rms velocity error' "$work/stdout.txt"
"$recur" run "$model" "$work/x.npy" -o "$work/y_c.npy" --hn "$work/h_c.npy" --cn "$work/c_c.npy"
for a in y h c; do
  cmp "$work/$a.npy" "$work/${a}_c.npy" || { echo "$a: the stream differs from recur run" >&2; exit 1; }
done
echo "y, h_n and c_n: the same bytes as recur run over the whole sequence"
