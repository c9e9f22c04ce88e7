/* The .npy format beyond the public recur_npy_load/recur_npy_save (recur.h). */
#ifndef RECUR_NPY_H
#define RECUR_NPY_H

#include "internal.h"

/* recur_npy_save's bytes, staged. */
recur_status recur_npy_stage(recur_staging *s, const char *path, const float *data, int ndim,
                             const int64_t *shape);

#endif
