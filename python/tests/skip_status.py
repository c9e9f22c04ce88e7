"""pytest plugin (-p skip_status, every pytest suite of the build): a run where a test skipped
and none failed exits 77, which meson counts as SKIP, so that a test that did not run is never
an OK (tests/criterion_main.c does the same for the Criterion suites)."""
SKIPPED = 77


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if exitstatus == 0 and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = SKIPPED
