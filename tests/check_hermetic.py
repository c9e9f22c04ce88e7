#!/usr/bin/env python3
"""Every test of the build runs hermetic: its environment sets meson.build's hermetic_env
(RECUR_TUNE_FILE, XDG_CONFIG_HOME and HOME in the build folder), so that no test reads the
user's tune file, and that tune file names no file. This test runs with the same environment
and reads the others' from meson's introspection. Usage: check_hermetic.py BUILD_ROOT
"""
import json
import os
import sys

KEYS = ("RECUR_TUNE_FILE", "XDG_CONFIG_HOME", "HOME")


def main():
    build = os.path.abspath(sys.argv[1])
    want = {k: os.environ.get(k) for k in KEYS}
    bad = [f"this test's {k} is {v!r}, not in {build}" for k, v in want.items()
           if not v or not v.startswith(build + os.sep)]
    tests = json.load(open(os.path.join(build, "meson-info", "intro-tests.json")))
    for t in tests:
        env = t["env"]
        bad += [f"{t['name']}: {k} is {env.get(k)!r}, not {want[k]!r}" for k in KEYS
                if env.get(k) != want[k]]
    if want["RECUR_TUNE_FILE"] and os.path.exists(want["RECUR_TUNE_FILE"]):
        bad.append(f"{want['RECUR_TUNE_FILE']} exists: a test wrote a tune file where every "
                   "test looks for none")
    for line in bad:
        print(line)
    print(f"{len(tests)} tests, {len(bad)} problems")
    return 1 if bad or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
