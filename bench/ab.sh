#!/bin/bash
# Old against new: two `recur` binaries run the default bench cases in turn, run by run, so that
# the machine's drift hits both alike; bench/ab_table.py then gives each case's ratio.
# Usage: bench/ab.sh OLD_RECUR NEW_RECUR OUT_DIR [ROUNDS (5)] [THREADS (1,2)]
set -euo pipefail
old=$1 new=$2 out=$3 rounds=${4:-5} threads=${5:-1,2}
mkdir -p "$out"
for i in $(seq "$rounds"); do
  "$old" bench --quick --threads "$threads" --json > "$out/old$i.json"
  "$new" bench --quick --threads "$threads" --json > "$out/new$i.json"
done
