/* The NEON tables: the kernel body compiled over kernels/neon/simd.h, fp32 and bf16
 * (meson.build: neon_bf16 with FEAT_BF16's BFDOT, neon_bf16fma). */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(RECUR_CPU_NEON,
                   .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 2 << 20);
