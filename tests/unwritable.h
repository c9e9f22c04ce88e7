/* A folder nobody in this test may write to, root included. */
#ifndef RECUR_TEST_UNWRITABLE_H
#define RECUR_TEST_UNWRITABLE_H

/* Makes path (an existing folder this process owns) read-only (0500) and, when this process
 * runs as root, drops the capabilities that override it (CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH) from this process and from every program it starts: Criterion runs each
 * test in its own process, so the rest of the suite keeps them. Fails the test if it cannot. */
void make_unwritable(const char *path);

/* Gives path back its write permission (0700), so that the suite's cleanup can remove it. */
void make_writable(const char *path);

#endif
