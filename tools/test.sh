#!/bin/bash
# The whole test suite: installs what it needs, then builds and tests a release build with
# -Werror (valgrind included), an AddressSanitizer + UBSan build, an AArch64 cross build run
# under qemu-user (the NEON kernels), and two clang builds: the libFuzzer targets over their
# corpus and crash regressions, and ThreadSanitizer on the threaded tests. Ends with
# "N passed, N failed" (suites).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
passed=0 failed=0
count() { # TESTLOG.json...: adds meson test's results to the counts
  read -r ok bad < <(/usr/bin/python3 - "$@" <<'PY'
import json, sys
results = [json.loads(line)["result"] for log in sys.argv[1:] for line in open(log)]
print(results.count("OK"), len(results) - results.count("OK"))
PY
)
  passed=$((passed + ok)) failed=$((failed + bad))
}
run_suite() { # DIR MESON_SETUP_ARGS...
  local dir=$1; shift
  echo "== $dir"
  { [[ -d $dir ]] || meson setup "$dir" "$@" >/dev/null; } && ninja -C "$dir" >/dev/null || {
    echo "build failed: $dir"; failed=$((failed + 1)); return; }
  meson test -C "$dir" --print-errorlogs
  count "$dir/meson-logs/testlog.json"
}
# -Dpython=enabled -Dfortran=enabled -Donednn=enabled: a missing Python dependency, Fortran
# compiler or oneDNN fails the build instead of dropping those suites (the options' default,
# auto, builds the bindings and bench/recur_onednn only where it can).
run_suite build -Dpython=enabled -Dfortran=enabled -Donednn=enabled
# docs/tests.md's sanitizer build, flag for flag; UBSAN_OPTIONS above makes any UB report fatal.
# The Python suites run there with the sanitizer runtimes preloaded (python/meson.build).
run_suite build-san -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Dpython=enabled \
  -Dfortran=enabled
echo "== build-aarch64 (qemu-user: detected kernels, then RECUR_ISA=scalar)"
rm -f build-aarch64/meson-logs/testlog*.json
cross_status=0
bash tools/cross-aarch64.sh --print-errorlogs || cross_status=$?
logs=(build-aarch64/meson-logs/testlog*.json)
before=$failed
[[ -e ${logs[0]} ]] && count "${logs[@]}"
if [[ $cross_status != 0 && $failed == "$before" ]]; then
  echo "build-aarch64: failed outside its tests"; failed=$((failed + 1))
fi
run_clang() { # DIR SUITE TARGETS MESON_SETUP_ARGS...: a clang build of what one suite runs
  local dir=$1 suite=$2 targets=$3; shift 3
  echo "== $dir (clang; suite $suite)"
  # Without Fortran: gfortran would link GCC's sanitizer runtimes and libgomp beside clang's,
  # and these builds run no Fortran suite.
  # shellcheck disable=SC2086 # targets are words
  { [[ -d $dir ]] || CC=clang meson setup "$dir" -Dbuildtype=debugoptimized -Db_lundef=false \
      -Dfortran=disabled "$@" >/dev/null; } && ninja -C "$dir" $targets >/dev/null || {
    echo "build failed: $dir"; failed=$((failed + 1)); return 1; }
  meson test -C "$dir" --suite "$suite" --no-rebuild --print-errorlogs
  count "$dir/meson-logs/testlog.json"
}
run_clang build-fuzz libfuzzer \
  "fuzz/fuzz_safetensors fuzz/fuzz_npy fuzz/fuzz_cli fuzz/fuzz_tunefile" \
  -Dfuzzer=true -Db_sanitize=address,undefined -Dc_args=-fsanitize=fuzzer-no-link
# LLVM's OpenMP, whose Archer layer (libarcher.so, loaded by libomp) tells TSan about OpenMP's
# synchronization; TSan then ignores libomp's own uninstrumented internals. Criterion cannot
# start under TSan, so the suite 'tsan' is plain C.
if TSAN_OPTIONS=halt_on_error=1:ignore_noninstrumented_modules=1 ARCHER_OPTIONS=verbose=1 \
    run_clang build-tsan tsan "recur tests/test_concurrency" -Db_sanitize=thread; then
  [[ $(ldd build-tsan/recur) == *libomp.so* ]] ||
    { echo "build-tsan: not linked with LLVM's libomp"; failed=$((failed + 1)); }
  grep -q "Archer detected" build-tsan/meson-logs/testlog.txt ||
    { echo "build-tsan: Archer was not active"; failed=$((failed + 1)); }
fi
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
