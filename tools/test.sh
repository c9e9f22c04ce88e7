#!/bin/bash
# The whole test suite: installs what it needs, then builds and tests a release build with
# -Werror (valgrind included), an AddressSanitizer + UBSan build, an AArch64 cross build run
# under qemu-user (the NEON kernels), and two clang builds: the libFuzzer targets over their
# corpus and crash regressions, then 40 s of fuzzing each (fuzz/run_fuzzer.sh), and
# ThreadSanitizer on the threaded tests. Ends with the
# skipped suites and why, the kernel tables the suites ran (and those built that none ran),
# and "N passed, N failed, N skipped" (suites).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=0 # failures outside meson's tests (a build that fails)
logs=()
count() { logs+=("$@"); } # TESTLOG.json...: meson test's results, summed at the end
# The results of every log: skipped suites with their reasons (the lines criterion_main.c and
# pytest's -rs print), the kernel tables run ("tables:" lines, tests/tables.h) against those
# built, and last "OK FAILED SKIPPED".
summary() {
  /usr/bin/python3 - "$@" <<'PY'
import json, re, sys
ok = bad = skip = 0
ran, built = set(), set()
for log in sys.argv[1:]:
    build = log.split("/")[0]
    for line in open(log):
        r = json.loads(line)
        text = r.get("stdout", "") + r.get("stderr", "")
        for m in re.finditer(r"^tables: ([\w ]*) \(built: ([\w ]*)\)$", text, re.M):
            ran.update(m.group(1).split()), built.update(m.group(2).split())
        if r["result"] == "OK":
            ok += 1
        elif r["result"] == "SKIP":
            skip += 1
            why = re.findall(r"^(?:SKIP|SKIPPED) (.*)$", text, re.M) or ["exit status 77"]
            print(f"skipped: {build} {r['name']}: " + "; ".join(why))
        else:
            bad += 1
print("kernel tables run:", " ".join(sorted(ran)) or "none")
if built - ran:
    print("kernel tables built but run by no suite:", " ".join(sorted(built - ran)))
print(ok, bad, skip)
PY
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
cross_logs=(build-aarch64/meson-logs/testlog*.json)
cross_failed=0
if [[ -e ${cross_logs[0]} ]]; then
  count "${cross_logs[@]}"
  read -r _ cross_failed _ < <(summary "${cross_logs[@]}" | tail -n 1)
fi
if [[ $cross_status != 0 && $cross_failed == 0 ]]; then
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
result=$(summary "${logs[@]}")
echo "${result%$'\n'*}"
read -r passed bad skipped <<<"${result##*$'\n'}"
failed=$((failed + bad))
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed == 0 ]]
