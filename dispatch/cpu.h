/* CPU feature detection (RECUR_CPU_* bits of kernels.h). */
#ifndef RECUR_CPU_H
#define RECUR_CPU_H

#include <stddef.h>
#include <stdint.h>

unsigned recur_cpu_detect(void);

/* "avx2 fma avx512f ..." */
void recur_cpu_feature_names(unsigned features, char *buf, size_t n);

#endif
