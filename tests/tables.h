/* Test helper: the kernel tables this build has and this CPU runs, and which ones a suite ran. */
#ifndef RECUR_TEST_TABLES_H
#define RECUR_TEST_TABLES_H

#include <stddef.h>

#include "kernels.h"

#define FAST_TABLES_MAX 4

/* Fills out with the fp32 ones (those recur_isa_list names), best first; returns how many. */
size_t fast_tables(const recur_kernels *out[FAST_TABLES_MAX]);

/* Fills out with the tables of precision p that this CPU runs (each ISA's best, which
 * recur_kernels_for picks, and the others, which only a test picks), best first; returns how
 * many. */
size_t precision_tables(recur_precision p, const recur_kernels *out[FAST_TABLES_MAX]);

/* The fast table called name (any weight format) that this build has, whether or not this CPU
 * runs it; NULL if none. */
const recur_kernels *built_table(const char *name);

/* Notes that a network on table k ran. tables_print (a suite's .fini) then prints
 * "tables: NAME... (built: NAME...)": the tables noted in this test, out of every table the
 * build has (scalar included). tools/test.sh gathers these lines over all suites and builds and
 * names the tables no suite ran. */
void tables_note(const recur_kernels *k);
void tables_print(void);

#endif
