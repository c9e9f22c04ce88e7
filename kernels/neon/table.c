/* The NEON table: the kernel body compiled over kernels/neon/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(neon, RECUR_CPU_NEON,
                   .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 2 << 20);
