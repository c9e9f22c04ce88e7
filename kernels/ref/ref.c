/* The reference kernels: plain C, one batch row at a time, accumulated in double. They are the
 * fallback on any CPU and the oracle every fast kernel is tested against, so they favour being
 * obviously PyTorch's formulas over speed. */
#include <math.h>

#include "kernels.h"

/* out[i] = bias[i] + sum_k w[i][k] * v[k] for i < rows; bias may be NULL. */
static void matvec(double *out, const float *w, const float *v, int64_t rows, int64_t cols,
                   const float *bias) {
  for (int64_t i = 0; i < rows; i++) {
    const float *wi = w + i * cols;
    double acc = bias ? bias[i] : 0.0;
    for (int64_t k = 0; k < cols; k++) acc += (double)wi[k] * v[k];
    out[i] = acc;
  }
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* PyTorch's relu keeps NaN; a > 0 ? a : 0 alone would turn it into 0. */
static double relu(double a) { return isnan(a) || a > 0 ? a : 0.0; }

static void rnn_step(const recur_layer *ly, const float *x, float *h,
                     double *s) {
  int64_t H = ly->hidden;
  double *hh = s + H;
  matvec(s, ly->w_ih, x, H, ly->in_size, ly->b_x);
  matvec(hh, ly->w_hh, h, H, H, NULL);
  for (int64_t j = 0; j < H; j++) {
    double a = s[j] + hh[j];
    h[j] = (float)(ly->epi == RECUR_EPI_RNN_RELU ? relu(a) : tanh(a));
  }
}

/* Gates i, f, g, o (PyTorch's order); with a projection, h = W_hr (o * tanh(c)). */
static void lstm_step(const recur_layer *ly, const float *x, float *h,
                      float *c, double *s) {
  int64_t H = ly->hidden, G = 4 * H;
  double *hh = s + G;
  matvec(s, ly->w_ih, x, G, ly->in_size, ly->b_x);
  matvec(hh, ly->w_hh, h, G, ly->out, NULL);
  for (int64_t j = 0; j < G; j++) s[j] += hh[j];
  float *hfull = (float *)hh; /* hh is consumed: reuse it for o * tanh(c) */
  for (int64_t j = 0; j < H; j++) {
    double i = sigmoid(s[j]), f = sigmoid(s[H + j]), g = tanh(s[2 * H + j]);
    double o = sigmoid(s[3 * H + j]);
    double cj = f * c[j] + i * g;
    c[j] = (float)cj;
    hfull[j] = (float)(o * tanh(cj));
  }
  if (!ly->w_hr) {
    for (int64_t j = 0; j < H; j++) h[j] = hfull[j];
    return;
  }
  matvec(s, ly->w_hr, hfull, ly->out, H, NULL);
  for (int64_t j = 0; j < ly->out; j++) h[j] = (float)s[j];
}

/* Gates r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h = (1 - z) n + z h. */
static void gru_step(const recur_layer *ly, const float *x, float *h,
                     double *s) {
  int64_t H = ly->hidden, G = 3 * H;
  double *hh = s + G;
  matvec(s, ly->w_ih, x, G, ly->in_size, ly->b_x);
  matvec(hh, ly->w_hh, h, G, H, NULL);
  for (int64_t j = 0; j < H; j++) {
    double r = sigmoid(s[j] + hh[j]), z = sigmoid(s[H + j] + hh[H + j]);
    double n = tanh(s[2 * H + j] + r * (hh[2 * H + j] + ly->b_hn[j]));
    s[j] = (1.0 - z) * n + z * h[j];
  }
  for (int64_t j = 0; j < H; j++) h[j] = (float)s[j];
}

static size_t ref_step_scratch(const recur_layer *ly) {
  return (size_t)(2 * ly->gates * ly->hidden);
}

static void ref_step(const recur_layer *ly, const float *x, float *h,
                     float *c, double *scratch) {
  switch (ly->epi) {
  case RECUR_EPI_LSTM: lstm_step(ly, x, h, c, scratch); break;
  case RECUR_EPI_GRU: gru_step(ly, x, h, scratch); break;
  default: rnn_step(ly, x, h, scratch); break;
  }
}

const recur_kernels recur_kernels_ref = {
  .name = "scalar",
  .step_scratch = ref_step_scratch,
  .step = ref_step,
};
