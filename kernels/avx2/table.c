/* The AVX2 + FMA table: the kernel body compiled over kernels/avx2/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

const recur_kernels recur_kernels_avx2 = {
  .name = "avx2",
  .features = RECUR_CPU_AVX2 | RECUR_CPU_FMA,
  .vec = VW,
  .regs = REGS,
  .nv = {[RECUR_EPI_RNN_TANH] = 4, [RECUR_EPI_RNN_RELU] = 4, [RECUR_EPI_LSTM] = 1, [RECUR_EPI_GRU] = 1},
  .nv_proj = 4,
  .kc_bytes = 2 << 20,
  .chunk_rows = 512,
  .fma_probe = fma_probe,
  .gemm = GEMM_TABLE,
  .cell = CELL_TABLE,
};
