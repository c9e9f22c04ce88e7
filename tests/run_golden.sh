#!/bin/bash
# Runs `recur run` on golden cases under a checking tool, with every input each case has and
# every output written, twice: with the detected kernels and two threads, and with the scalar
# kernels. Fails on the first run that exits non-zero (the tool's own error exit included).
#
#   run_golden.sh RECUR DATA_DIR N [TOOL ARGS...]
#
# N = 0 runs every case; N > 0 runs N cases spread evenly over the manifest. Examples:
#   run_golden.sh build/recur tests/data 8 valgrind --error-exitcode=1 --leak-check=full
#   run_golden.sh build-tsan/recur tests/data 0
set -euo pipefail
recur=$1 data=$2/golden count=$3
shift 3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

mapfile -t cases < <(grep -v '^#' "$data/manifest.txt")
step=1
(( count > 0 && ${#cases[@]} > count )) && step=$(( ${#cases[@]} / count ))

ran=0
for (( i = 0; i < ${#cases[@]} && (count == 0 || ran < count); i += step )); do
  read -r name fields <<< "${cases[i]}"
  args=("$data/$name.safetensors" "$data/$name.x.npy" -o "$out/y.npy" --hn "$out/hn.npy")
  for input in h0 c0; do
    [[ -e $data/$name.$input.npy ]] && args+=("--$input" "$data/$name.$input.npy")
  done
  [[ -e $data/$name.len.npy ]] && args+=(--lengths "$data/$name.len.npy")
  [[ " $fields " == *" cell=lstm "* ]] && args+=(--cn "$out/cn.npy")
  [[ " $fields " == *" batch_first=1 "* ]] && args+=(--batch-first)
  [[ " $fields " =~ \ prefix=([^ ]+) ]] && args+=(--prefix "${BASH_REMATCH[1]}")
  for variant in "--threads 2" "--isa scalar"; do
    # shellcheck disable=SC2086 # the variant is two words
    if ! "$@" "$recur" run "${args[@]}" $variant; then
      echo "FAILED: $* $recur run ${args[*]} $variant"
      exit 1
    fi
  done
  ran=$((ran + 1))
done
echo "$ran golden cases run twice each${1:+ under $1}"
