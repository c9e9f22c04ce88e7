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

/* A tolerance |got - want| <= abs + rel |want|. */
typedef struct golden_tol {
  double abs, rel;
} golden_tol;

/* fp32 against PyTorch, and every table against the reference in the same precision. */
#define GOLDEN_FP32_TOL ((golden_tol){1e-5, 1e-5})

/* bf16 (recur.h's RECUR_PRECISION_BF16) against PyTorch's fp32, on every table. Measured
 * (docs/precision.md): worst |err| 0.0074 on the golden cases, 0.0173 on test_kernels' 300
 * random shapes (against the fp32 reference); the bound keeps 1.7x of margin, and its relative
 * part covers outputs larger than these (relu). */
#define GOLDEN_BF16_TOL ((golden_tol){3e-2, 1e-2})

/* int8 (recur.h's RECUR_PRECISION_INT8) against PyTorch's fp32, on every table. Measured
 * (docs/precision.md): worst |err| 0.0131 on the finite golden cases, 0.0444 on test_kernels'
 * 300 random shapes (against the fp32 reference, rnn_tanh); the bound keeps 2.2x of margin,
 * and its relative part covers larger outputs (relu). */
#define GOLDEN_INT8_TOL ((golden_tol){1e-1, 5e-2})

/* The bound of precision p's outputs against PyTorch's fp32 ones: one of the three above. */
golden_tol golden_tol_of(recur_precision p);

/* Counts elements outside the tolerance and reports the worst one. A NaN wants a NaN (any
 * payload), an Inf the same Inf; a non-finite got for a finite want is off. */
size_t golden_mismatches_within(const float *got, const float *want, size_t n, golden_tol tol,
                                size_t *worst_index);
/* The same within GOLDEN_FP32_TOL. */
size_t golden_mismatches(const float *got, const float *want, size_t n, size_t *worst_index);

/* The worst errors of got against want over the elements finite in both: |got - want|, and
 * |got - want| / |want| where |want| >= GOLDEN_REL_FROM. Accumulates into e (start at 0). */
#define GOLDEN_REL_FROM 0.05
typedef struct golden_error {
  double abs, rel;
} golden_error;
void golden_measure(const float *got, const float *want, size_t n, golden_error *e);

#endif
