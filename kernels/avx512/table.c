/* The AVX-512 tables: the kernel body compiled over kernels/avx512/simd.h, once per weight
 * format (meson.build: avx512, avx512_bf16 with -mavx512bf16, avx512_bf16fma). K blocking
 * defaults to the whole K: measured here, parking partial sums cost more than L1 residency
 * gained. int8 narrows an LSTM's tiles where that keeps a W_hh panel in L1 (l1_panels; on this
 * Zen 5, LSTM (50,4..16,512) 7-11% faster, B = 1 no slower; bf16 lost 13% at B = 1, GRU 2-9%). */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

#ifdef RECUR_FORMAT_INT8
#define L1_PANELS 1
#else
#define L1_PANELS 0
#endif

RECUR_DEFINE_TABLE(RECUR_CPU_AVX512F | RECUR_CPU_AVX512DQ | RECUR_CPU_AVX512BW |
                     RECUR_CPU_AVX512VL | RECUR_CPU_AVX2 | RECUR_CPU_FMA,
                   .nv = {[RECUR_EPI_RNN_TANH] = 8, [RECUR_EPI_RNN_RELU] = 8, [RECUR_EPI_LSTM] = 2,
                          [RECUR_EPI_GRU] = 2},
                   .nv_proj = 4, .kc_bytes = 4 << 20, .l1_panels = L1_PANELS);
