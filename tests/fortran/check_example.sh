#!/bin/bash
# examples/lstm_timestep against the C library: the positions the example streamed through its
# LSTM one step at a time, run by `recur run` as one sequence, must give the example's outputs
# and final state byte for byte (both are written by recur_npy_save). First, an OUT_DIR it
# cannot write to stops it before the simulation.
#   check_example.sh LSTM_TIMESTEP RECUR MODEL WORK_DIR
set -euo pipefail
example=$1 recur=$2 model=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
# Where the outputs go is checked before the simulation: a missing folder, a file as the
# folder, a folder at an output's name each stop it at once, with the path on stderr and no
# line of the simulation on stdout.
: >"$work/file"
mkdir -p "$work/taken/y.npy"
for out in "$work/missing" "$work/file" "$work/taken"; do
  if "$example" "$model" "$out" >"$work/stdout.txt" 2>"$work/stderr.txt"; then
    echo "OUT_DIR $out: the example ran" >&2; exit 1
  fi
  grep -q "recur_npy_save_check: cannot .*$out/" "$work/stderr.txt" ||
    { echo "OUT_DIR $out: stderr does not say why:" >&2; cat "$work/stderr.txt" >&2; exit 1; }
  [[ ! -s $work/stdout.txt ]] ||
    { echo "OUT_DIR $out: the simulation ran first:" >&2; cat "$work/stdout.txt" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
"$example" "$model" "$work" | tee "$work/stdout.txt"
grep -q '^rms velocity error' "$work/stdout.txt"
"$recur" run "$model" "$work/x.npy" -o "$work/y_c.npy" --hn "$work/h_c.npy" --cn "$work/c_c.npy"
for a in y h c; do
  cmp "$work/$a.npy" "$work/${a}_c.npy" || { echo "$a: the stream differs from recur run" >&2; exit 1; }
done
echo "y, h_n and c_n: the same bytes as recur run over the whole sequence"
