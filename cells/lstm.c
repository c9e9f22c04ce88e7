/* The LSTM: gates i, f, g, o (PyTorch's order), a cell state c, and an optional projection
 * h = W_hr (o * tanh(c)) to P < H units. */
#include "cell.h"
#include "ref_math.h"

static void lstm_step(const recur_layer *ly, const float *x, float *h, float *c, double *s) {
  int64_t H = ly->hidden, G = 4 * H;
  double *hh = s + G;
  recur_ref_matvec(s, ly, ly->w_ih, ly->s_ih, x, G, ly->in_size, ly->b_x);
  recur_ref_matvec(hh, ly, ly->w_hh, ly->s_hh, h, G, ly->out, NULL);
  for (int64_t j = 0; j < G; j++) s[j] += hh[j];
  float *hfull = (float *)hh; /* hh is consumed: reuse it for o * tanh(c) */
  for (int64_t j = 0; j < H; j++) {
    double i = recur_ref_sigmoid(s[j]), f = recur_ref_sigmoid(s[H + j]), g = tanh(s[2 * H + j]);
    double o = recur_ref_sigmoid(s[3 * H + j]);
    double cj = f * c[j] + i * g;
    c[j] = (float)cj;
    hfull[j] = (float)(o * tanh(cj));
  }
  if (!ly->w_hr) {
    for (int64_t j = 0; j < H; j++) h[j] = hfull[j];
    return;
  }
  recur_ref_matvec(s, ly, ly->w_hr, ly->s_hr, hfull, ly->out, H, NULL);
  for (int64_t j = 0; j < ly->out; j++) h[j] = (float)s[j];
}

const recur_cell_info recur_cell_lstm = {
  .name = "lstm", .id = RECUR_CELL_LSTM, .gates = 4, .has_c = 1, .epi = RECUR_EPI_LSTM,
  .ref_step = lstm_step,
  .weights = {RECUR_PYTORCH_WEIGHTS, {RECUR_W_HR, RECUR_NEED_PROJ, RECUR_DIM_P, RECUR_DIM_H}},
};
