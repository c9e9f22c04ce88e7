/* The AVX2 + FMA table: the kernel body compiled over kernels/avx2/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(avx2, RECUR_CPU_AVX2 | RECUR_CPU_FMA, 4, 1, 1, 4, 2 << 20, 512);
