/* The GRU: gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and
 * h = (1 - z) n + z h; b_hn sits inside r * (...), so it is kept apart from b_x. */
#include "cell.h"
#include "ref_math.h"

static void gru_step(const recur_layer *ly, const float *x, float *h, float *c, double *s) {
  (void)c;
  int64_t H = ly->hidden, G = 3 * H;
  double *hh = s + G;
  recur_ref_matvec(s, ly, ly->w_ih, ly->s_ih, x, G, ly->in_size, ly->b_x);
  recur_ref_matvec(hh, ly, ly->w_hh, ly->s_hh, h, G, H, NULL);
  for (int64_t j = 0; j < H; j++) {
    double r = recur_ref_sigmoid(s[j] + hh[j]), z = recur_ref_sigmoid(s[H + j] + hh[H + j]);
    double n = tanh(s[2 * H + j] + r * (hh[2 * H + j] + ly->b_hn[j]));
    s[j] = (1.0 - z) * n + z * h[j];
  }
  for (int64_t j = 0; j < H; j++) h[j] = (float)s[j];
}

const recur_cell_info recur_cell_gru = {
  .name = "gru", .id = RECUR_CELL_GRU, .gates = 3, .keeps_b_hn = 1, .epi = RECUR_EPI_GRU,
  .ref_step = gru_step, .weights = {RECUR_PYTORCH_WEIGHTS},
};
