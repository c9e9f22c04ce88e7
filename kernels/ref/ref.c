/* The scalar table: no packed kernels. Networks built for it keep PyTorch's layout (fp32, row
 * major) and run through each cell's reference step (cells/), the fallback on any CPU and the
 * oracle every fast kernel is tested against. */
#include "kernels.h"

const recur_kernels recur_kernels_scalar = {.name = "scalar", .isa = "scalar", .format = &recur_precision_fp32};
