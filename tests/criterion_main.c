/* The main of every Criterion suite: Criterion's own, except that a skipped test is never an
 * OK. Each skip prints a line (Criterion's summary leaves skips out), and a run where a test
 * skipped and none failed exits 77, which meson counts as SKIP (tools/test.sh lists them). */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>

#define EXIT_SKIPPED 77

static size_t skipped;

ReportHook(POST_TEST)(struct criterion_test_stats *stats) {
  if (stats->test_status == CR_STATUS_SKIPPED)
    fprintf(stderr, "SKIP %s::%s: %s\n", stats->test->category, stats->test->name,
            stats->message ? stats->message : "(no reason given)");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) { skipped = stats->tests_skipped; }

/* Criterion's test workers (BoxFort) find main by its dynamic symbol: exported (meson.build's
 * export_dynamic), and visible despite the project's -fvisibility=hidden. */
__attribute__((visibility("default"))) int main(int argc, char *argv[]) {
  struct criterion_test_set *tests = criterion_initialize();
  int result = 0;
  if (criterion_handle_args(argc, argv, true))
    result = criterion_run_all_tests(tests) ? (skipped ? EXIT_SKIPPED : 0) : 1;
  criterion_finalize(tests);
  return result;
}
