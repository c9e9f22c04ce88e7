/* The AVX-512 table: the kernel body compiled over kernels/avx512/simd.h. K blocking defaults
 * to the whole K: measured here, parking partial sums cost more than L1 residency gained. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(avx512,
                   RECUR_CPU_AVX512F | RECUR_CPU_AVX512DQ | RECUR_CPU_AVX512BW |
                     RECUR_CPU_AVX512VL | RECUR_CPU_AVX2 | RECUR_CPU_FMA,
                   8, 2, 2, 4, 4 << 20, 512);
