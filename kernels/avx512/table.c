/* The AVX-512 table: the kernel body compiled over kernels/avx512/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

const recur_kernels recur_kernels_avx512 = {
  .name = "avx512",
  .features = RECUR_CPU_AVX512F | RECUR_CPU_AVX512DQ | RECUR_CPU_FMA,
  .vec = VW,
  .regs = REGS,
  .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2, [RECUR_EPI_GRU] = 2},
  .nv_proj = 4,
  .kc_bytes = 4 << 20, /* measured: parking sums costs more than L1 residency gains */
  .chunk_rows = 512,
  .fma_probe = fma_probe,
  .gemm = GEMM_TABLE,
  .cell = CELL_TABLE,
};
