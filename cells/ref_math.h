/* What the cells' reference steps share: plain C in double, favouring being obviously
 * PyTorch's formulas over speed. */
#ifndef RECUR_REF_MATH_H
#define RECUR_REF_MATH_H

#include <math.h>
#include <stdint.h>

/* out[i] = bias[i] + sum_k w[i][k] * v[k] for i < rows; bias may be NULL. */
static inline void recur_ref_matvec(double *out, const float *w, const float *v, int64_t rows,
                                    int64_t cols, const float *bias) {
  for (int64_t i = 0; i < rows; i++) {
    const float *wi = w + i * cols;
    double acc = bias ? bias[i] : 0.0;
    for (int64_t k = 0; k < cols; k++) acc += (double)wi[k] * v[k];
    out[i] = acc;
  }
}

static inline double recur_ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

#endif
