#!/bin/bash
# The suite 'tuned': every other test runs without a tune file (meson.build's hermetic_env);
# this one writes a real one with `recur tune` (small shapes: a DeepBench shape of the threads
# suite at B=1, a golden model at its batch; 2 and 4 threads), checks that the library takes
# it, then runs the threads and golden suites with it, and `recur run` on the tuned golden
# case must write the bytes it writes without it.
#
#   run_tuned.sh RECUR TEST_THREADS TEST_GOLDEN DATA_DIR TMP_DIR
set -euo pipefail
recur=$1 test_threads=$2 test_golden=$3 golden=$4/golden tmp=$5
rm -rf "$tmp"
mkdir -p "$tmp"
tune=$tmp/tune.conf

# The best vector table, whatever RECUR_ISA says (`meson test --setup scalar`): the suites
# below force every table, and entries apply to theirs.
isa=$(RECUR_ISA= "$recur" info | sed -n 's/^kernels: .*(available: \([a-z0-9_]*\).*/\1/p')
if [[ -z $isa || $isa == scalar ]]; then
  echo "no vector table to tune on this CPU"
  exit 1
fi
case=lstm_proj_bi_len # bidirectional, 2 layers, projection, lengths; B=5, T=7
"$recur" tune --isa "$isa" --cells lstm,gru,bilstm --shapes 5,1,256,256 --threads 2,4 \
  --time-limit 60 -o "$tune"
"$recur" tune --isa "$isa" --model "$golden/$case.safetensors" --batch 5 --seq 7 --threads 2,4 \
  --time-limit 30 -o "$tune"
entries=$(grep -c '^entry ' "$tune" || true)
info=$(RECUR_ISA= RECUR_TUNE_FILE=$tune "$recur" info)
if [[ $entries == 0 || $info != *"tune file: $tune: $entries entries, $entries for $isa"* ]]; then
  echo "the library does not take the tune file ($entries entries): $info"
  exit 1
fi
echo "tune file: $entries entries for $isa"

status=0
for suite in "$test_threads" "$test_golden"; do
  RECUR_TUNE_FILE=$tune "$suite" --jobs 1 || status=1
done

# The same bytes with the tune file as without it.
args=("$golden/$case.safetensors" "$golden/$case.x.npy" --lengths "$golden/$case.len.npy" --isa "$isa")
for threads in 1 2 4; do
  for tuned in 0 1; do
    out=$tmp/$tuned.$threads
    mkdir -p "$out"
    file=$RECUR_TUNE_FILE
    [[ $tuned == 1 ]] && file=$tune
    RECUR_TUNE_FILE=$file "$recur" run "${args[@]}" --threads "$threads" -o "$out/y.npy" \
      --hn "$out/hn.npy" --cn "$out/cn.npy"
  done
  for name in y hn cn; do
    cmp "$tmp/0.$threads/$name.npy" "$tmp/1.$threads/$name.npy" ||
      { echo "$threads threads: $name.npy differs with the tune file"; status=1; }
  done
done
exit $status
