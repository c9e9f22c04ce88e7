/* The NEON table: the kernel body compiled over kernels/neon/simd.h. */
#include "simd.h"

#include "kernels.h"
#include "body/tiles.h"

RECUR_DEFINE_TABLE(neon, RECUR_CPU_NEON, 8, 2, 2, 4, 2 << 20, 512);
