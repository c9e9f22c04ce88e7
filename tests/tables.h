/* Test helper: the fast (packed) kernel tables this build has and this CPU runs. */
#ifndef RECUR_TEST_TABLES_H
#define RECUR_TEST_TABLES_H

#include <stddef.h>

#include "kernels.h"

#define FAST_TABLES_MAX 4

/* Fills out with the fp32 ones (those recur_isa_list names), best first; returns how many. */
size_t fast_tables(const recur_kernels *out[FAST_TABLES_MAX]);

/* The fast table called name (any weight format) that this build has, whether or not this CPU
 * runs it; NULL if none. */
const recur_kernels *built_table(const char *name);

#endif
