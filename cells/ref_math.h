/* What the cells' reference steps share: plain C in double, favouring being obviously
 * PyTorch's formulas over speed. */
#ifndef RECUR_REF_MATH_H
#define RECUR_REF_MATH_H

#include <math.h>
#include <stdint.h>

#include "bf16.h"
#include "kernels.h"

/* out[i] = bias[i] + sum_k w[i][k] * v[k] for i < rows, w one of ly's weight matrices; bias may
 * be NULL. With ly's BF16 precision, v[k] enters as its bf16 value (w is rounded already). */
static inline void recur_ref_matvec(double *out, const recur_layer *ly, const float *w,
                                    const float *v, int64_t rows, int64_t cols,
                                    const float *bias) {
  int bf16 = ly->precision == RECUR_PRECISION_BF16;
  for (int64_t i = 0; i < rows; i++) {
    const float *wi = w + i * cols;
    double acc = bias ? bias[i] : 0.0;
    for (int64_t k = 0; k < cols; k++) acc += (double)wi[k] * (bf16 ? recur_bf16_round(v[k]) : v[k]);
    out[i] = acc;
  }
}

static inline double recur_ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

#endif
