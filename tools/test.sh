#!/bin/bash
# The whole test suite: installs what it needs, then builds and tests twice, a release build
# with -Werror and an AddressSanitizer + UBSan build. Ends with "N passed, N failed" (suites).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
passed=0 failed=0
run_suite() { # DIR MESON_SETUP_ARGS...
  local dir=$1; shift
  echo "== $dir"
  { [[ -d $dir ]] || meson setup "$dir" "$@" >/dev/null; } && ninja -C "$dir" >/dev/null || {
    echo "build failed: $dir"; failed=$((failed + 1)); return; }
  meson test -C "$dir" --print-errorlogs
  read -r ok bad < <(/usr/bin/python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
results = [json.loads(line)["result"] for line in open(sys.argv[1])]
print(results.count("OK"), len(results) - results.count("OK"))
PY
)
  passed=$((passed + ok)) failed=$((failed + bad))
}
run_suite build
run_suite build-san -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
  -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
