/* The NEON table: the kernel body compiled over kernels/neon/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

const recur_kernels recur_kernels_neon = {
  .name = "neon",
  .features = RECUR_CPU_NEON,
  .vec = VW,
  .regs = REGS,
  .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2, [RECUR_EPI_GRU] = 2},
  .nv_proj = 4,
  .kc_bytes = 2 << 20,
  .chunk_rows = 512,
  .fma_probe = fma_probe,
  .gemm = GEMM_TABLE,
  .cell = CELL_TABLE,
};
