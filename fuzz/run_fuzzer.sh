#!/bin/bash
# One libFuzzer target in CI (the test libfuzzer_NAME): its seed corpus and crash regressions,
# then SECONDS of fuzzing from a fixed seed. What the fuzzer finds goes to WORK (in the build
# tree, emptied first), never into fuzz/corpus: libFuzzer writes new inputs only to the first
# folder it is given. A crash, leak or timeout fails the test and says how to keep the input.
#
#   run_fuzzer.sh FUZZER NAME SECONDS SEED DICT WORK INPUT_DIR...
set -uo pipefail
fuzzer=$1 name=$2 seconds=$3 seed=$4 dict=$5 work=$6
shift 6
rm -rf "$work"
mkdir -p "$work/found" "$work/artifacts"
# The limits of fuzz/README.md: a real hang takes far longer than 120 s on a busy machine, and
# no small input justifies an allocation over 256 MB.
"$fuzzer" "$work/found" "$@" -dict="$dict" -seed="$seed" -max_total_time="$seconds" \
  -timeout=120 -malloc_limit_mb=256 -artifact_prefix="$work/artifacts/" -print_final_stats=1
status=$?
for input in "$work"/artifacts/*; do
  [[ -e $input ]] || continue
  echo "fuzz_$name: $(basename "$input") (seed $seed). Reproduce: $(realpath "$fuzzer") $input"
  echo "Once fixed, keep it so that every build replays it (fuzz/README.md):"
  echo "  cp $input fuzz/regressions/$name/WHAT_IT_WAS"
done
# libFuzzer exits 77 on a crash, which meson would count as a skip.
[[ $status == 0 ]]
