/* Test helpers: the golden manifest (tests/data/golden/manifest.txt, written by
 * tests/gen_golden.py) and the PyTorch tolerance. */
#ifndef RECUR_TEST_GOLDEN_H
#define RECUR_TEST_GOLDEN_H

#include <stddef.h>

#include "recur.h"

typedef struct golden_case {
  char name[96];
  char cell[16];
  char prefix[64];
  char nonfinite[128]; /* "x:nan,c0:inf,...": where the case's inputs or weights are not finite */
  int layers, bidir, batch_first, unbatched, h0, c0, lengths;
  long T, B, I, H, P;
} golden_case;

/* Reads the manifest; returns the number of cases (at most max), or -1 if it is unreadable. */
int golden_read_manifest(golden_case *cases, int max);

/* "<RECUR_TEST_DATA>/golden/<name><suffix>" */
void golden_path(char *buf, size_t n, const char *name, const char *suffix);

/* Loads "<name><suffix>" as an array; NULL if the file does not exist. */
recur_array *golden_load(const char *name, const char *suffix);

/* Counts elements outside |got - want| <= 1e-5 + 1e-5 |want| and reports the worst one. A NaN
 * wants a NaN (any payload), an Inf the same Inf; a non-finite got for a finite want is off. */
size_t golden_mismatches(const float *got, const float *want, size_t n, size_t *worst_index);

#endif
