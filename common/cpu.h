/* CPU feature detection and identity. */
#ifndef RECUR_CPU_H
#define RECUR_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "recur_tool.h"

/* CPU features (a kernel table lists those it needs). */
enum {
  RECUR_CPU_AVX2 = 1u << 0,
  RECUR_CPU_FMA = 1u << 1,
  RECUR_CPU_AVX512F = 1u << 2,
  RECUR_CPU_AVX512DQ = 1u << 3,
  RECUR_CPU_AVX512BW = 1u << 4,
  RECUR_CPU_AVX512VL = 1u << 5,
  RECUR_CPU_NEON = 1u << 6,
};

unsigned recur_cpu_detect(void);

/* recur_cpu_id and recur_cpu_identify are shared with the command line: recur_tool.h. */

/* This CPU's identity, identified once (thread-safe). */
const recur_cpu_id *recur_cpu_this(void);

/* "avx2 fma avx512f ..." */
void recur_cpu_feature_names(unsigned features, char *buf, size_t n);

#endif
