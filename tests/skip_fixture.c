/* Not a test: the Criterion suite tests/check_skips.py runs to see criterion_main.c report a
 * skip. One test passes, one skips, and one fails where RECUR_TEST_FAIL is set. */
#include <criterion/criterion.h>
#include <stdlib.h>

Test(fixture, passes) { cr_assert_eq(1 + 1, 2); }

Test(fixture, skips) { cr_skip_test("skipped on purpose"); }

Test(fixture, fails_when_asked) { cr_assert_null(getenv("RECUR_TEST_FAIL"), "failed on purpose"); }
