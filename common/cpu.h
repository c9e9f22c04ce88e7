/* CPU feature detection and identity. */
#ifndef RECUR_CPU_H
#define RECUR_CPU_H

#include <stddef.h>
#include <stdint.h>

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

/* What identifies a CPU for the tune file: not the brand string, which a VM may report
 * generically, but the vendor, family/model/stepping (x86 CPUID; arm: MIDR implementer, part,
 * variant/revision), recur's feature mask and the data cache sizes (bytes, 0 if unknown). */
typedef struct recur_cpu_id {
  char vendor[16];
  int family, model, stepping;
  unsigned features;
  int64_t l1d, l2, l3;
} recur_cpu_id;

void recur_cpu_identify(recur_cpu_id *id);

/* This CPU's identity, identified once (thread-safe). */
const recur_cpu_id *recur_cpu_this(void);

/* "avx2 fma avx512f ..." */
void recur_cpu_feature_names(unsigned features, char *buf, size_t n);

#endif
