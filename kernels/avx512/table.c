/* The AVX-512 table: the kernel body compiled over kernels/avx512/simd.h. K blocking defaults
 * to the whole K: measured here, parking partial sums cost more than L1 residency gained. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(avx512,
                   RECUR_CPU_AVX512F | RECUR_CPU_AVX512DQ | RECUR_CPU_AVX512BW |
                     RECUR_CPU_AVX512VL | RECUR_CPU_AVX2 | RECUR_CPU_FMA,
                   .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 4 << 20);
