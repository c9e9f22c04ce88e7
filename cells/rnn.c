/* The Elman RNN: one gate, h = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu. */
#include "cell.h"
#include "ref_math.h"

/* PyTorch's relu keeps NaN; a > 0 ? a : 0 alone would turn it into 0. */
static double relu(double a) { return isnan(a) || a > 0 ? a : 0.0; }

static inline void rnn_step(const recur_layer *ly, const float *x, float *h, double *s,
                            double (*act)(double)) {
  int64_t H = ly->hidden;
  double *hh = s + H;
  recur_ref_matvec(s, ly, ly->w_ih, ly->s_ih, x, H, ly->in_size, ly->b_x);
  recur_ref_matvec(hh, ly, ly->w_hh, ly->s_hh, h, H, H, NULL);
  for (int64_t j = 0; j < H; j++) h[j] = (float)act(s[j] + hh[j]);
}

static void tanh_step(const recur_layer *ly, const float *x, float *h, float *c, double *s) {
  (void)c;
  rnn_step(ly, x, h, s, tanh);
}

static void relu_step(const recur_layer *ly, const float *x, float *h, float *c, double *s) {
  (void)c;
  rnn_step(ly, x, h, s, relu);
}

#define RNN_CELL(act, ACT)                                                            \
  const recur_cell_info recur_cell_rnn_##act = {                                      \
    .name = "rnn_" #act, .id = RECUR_CELL_RNN_##ACT, .gates = 1, .epi = RECUR_EPI_RNN_##ACT, \
    .ref_step = act##_step, .weights = {RECUR_PYTORCH_WEIGHTS},                       \
  }
RNN_CELL(tanh, TANH);
RNN_CELL(relu, RELU);
