#!/usr/bin/env python3
"""A skipped test is never an OK: a Criterion suite (tests/criterion_main.c) and a pytest suite
(python/tests/skip_status.py) with a passing and a skipped test exit 77, meson's SKIP, and say
which test skipped and why; with a failing test as well they fail (exit 1).
Usage: check_skips.py CRITERION_FIXTURE PYTEST_FIXTURE PLUGIN_DIR
"""
import os
import subprocess
import sys


def run(cmd, fail, env=None):
    env = dict(env or os.environ)
    if fail:
        env["RECUR_TEST_FAIL"] = "1"
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def main():
    criterion, fixture, plugin_dir = sys.argv[1:4]
    py_env = dict(os.environ, PYTHONPATH=plugin_dir)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "skip_status",
              "-rs", fixture]
    suites = [("criterion", [criterion, "--jobs", "1"], None,
               "SKIP fixture::skips: skipped on purpose"),
              ("pytest", pytest, py_env, "skipped on purpose")]
    bad = []
    for name, cmd, env, says in suites:
        code, out = run(cmd, False, env)
        if code != 77 or says not in out:
            bad.append(f"{name}: a skip gave exit {code} (want 77), output without '{says}':\n{out}")
        code, out = run(cmd, True, env)
        if code != 1:
            bad.append(f"{name}: a skip and a failure gave exit {code} (want 1):\n{out}")
    for line in bad:
        print(line)
    print(f"{len(suites)} suites, {len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
