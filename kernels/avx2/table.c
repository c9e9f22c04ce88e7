/* The AVX2 + FMA tables: the kernel body compiled over kernels/avx2/simd.h, fp32 and bf16
 * (avx2_bf16fma). GRU panels are 2 vectors wide: `recur tune` chose nv = 2 over 1 for every
 * default GRU shape here (1.09-1.41x, bench/tune-results/tune-first-run.txt). */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(RECUR_CPU_AVX2 | RECUR_CPU_FMA,
                   .nv = {[RECUR_EPI_RNN_TANH] = 4, [RECUR_EPI_RNN_RELU] = 4, [RECUR_EPI_LSTM] = 1,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 2 << 20);
