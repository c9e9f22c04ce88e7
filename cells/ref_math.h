/* What the cells' reference steps share: plain C in double, favouring being obviously
 * PyTorch's formulas over speed. */
#ifndef RECUR_REF_MATH_H
#define RECUR_REF_MATH_H

#include <math.h>
#include <stdint.h>

#include "bf16.h"
#include "int8.h"
#include "kernels.h"

/* out[i] = bias[i] + sum_k w[i][k] * v[k] for i < rows, w one of ly's weight matrices and
 * row_scale its row scales (int8: w holds each row's integers); bias may be NULL. v enters as
 * the precision says: BF16 rounds each v[k] to bf16 (w is rounded already); INT8 quantizes v
 * (int8.h) and takes the exact integer sum times the weight row's scale and v's. */
static inline void recur_ref_matvec(double *out, const recur_layer *ly, const float *w,
                                    const float *row_scale, const float *v, int64_t rows,
                                    int64_t cols, const float *bias) {
  int bf16 = ly->precision == RECUR_PRECISION_BF16, int8 = ly->precision == RECUR_PRECISION_INT8;
  recur_int8_scale s = int8 ? recur_int8_scale_of(v, cols) : (recur_int8_scale){0};
  for (int64_t i = 0; i < rows; i++) {
    const float *wi = w + i * cols;
    double acc = bias && !int8 ? bias[i] : 0.0;
    for (int64_t k = 0; k < cols; k++) {
      double vk = int8 ? (s.to_q == 0.0f ? 0.0 : recur_int8_quantize(v[k], s.to_q))
                  : bf16 ? recur_bf16_round(v[k]) : v[k];
      acc += (double)wi[k] * vk;
    }
    if (int8) acc = (bias ? bias[i] : 0.0) + acc * ((double)row_scale[i] * s.scale);
    out[i] = acc;
  }
}

static inline double recur_ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

#endif
