#!/bin/bash
# The whole test suite: installs what it needs, then builds and tests a release build with
# -Werror, an AddressSanitizer + UBSan build, and an AArch64 cross build run under qemu-user
# (the NEON kernels). Ends with "N passed, N failed" (suites).
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
run_suite build
run_suite build-san -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
  -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all
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
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
