/* The AVX2 + FMA table: the kernel body compiled over kernels/avx2/simd.h. GRU panels are 2
 * vectors wide: `recur tune` chose nv = 2 over 1 for every default GRU shape here (1.09-1.41x,
 * bench/tune-results/tune-first-run.txt). */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(avx2, RECUR_CPU_AVX2 | RECUR_CPU_FMA, 4, 1, 2, 4, 2 << 20, 512);
