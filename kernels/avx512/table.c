/* The AVX-512 tables: the kernel body compiled over kernels/avx512/simd.h, once per weight
 * format (meson.build: avx512, avx512_bf16 with -mavx512bf16, avx512_bf16fma). K blocking
 * defaults to the whole K: measured here, parking partial sums cost more than L1 residency
 * gained. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(RECUR_CPU_AVX512F | RECUR_CPU_AVX512DQ | RECUR_CPU_AVX512BW |
                     RECUR_CPU_AVX512VL | RECUR_CPU_AVX2 | RECUR_CPU_FMA,
                   .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 4 << 20);
