/* The registry of cells, and the weight tensors a description needs. */
#include <stdio.h>
#include <string.h>

#include "cell.h"

extern const recur_cell_info recur_cell_rnn_tanh, recur_cell_rnn_relu, recur_cell_lstm,
    recur_cell_gru;

static const recur_cell_info *const cells[] = {
  [RECUR_CELL_RNN_TANH] = &recur_cell_rnn_tanh,
  [RECUR_CELL_RNN_RELU] = &recur_cell_rnn_relu,
  [RECUR_CELL_LSTM] = &recur_cell_lstm,
  [RECUR_CELL_GRU] = &recur_cell_gru,
};
#define N_CELLS (sizeof cells / sizeof *cells)

const char *const recur_weight_kind_names[RECUR_N_WEIGHT_KINDS] = {
  [RECUR_W_IH] = "weight_ih", [RECUR_W_HH] = "weight_hh", [RECUR_B_IH] = "bias_ih",
  [RECUR_B_HH] = "bias_hh", [RECUR_W_HR] = "weight_hr",
};

const recur_cell_info *recur_cell_get(recur_cell id) {
  return (unsigned)id < N_CELLS ? cells[id] : NULL;
}

const recur_cell_info *recur_cell_named(const char *name, size_t n) {
  for (size_t i = 0; i < N_CELLS; i++)
    if (strlen(cells[i]->name) == n && memcmp(cells[i]->name, name, n) == 0) return cells[i];
  return NULL;
}

const char *recur_cell_name(recur_cell cell) {
  const recur_cell_info *c = recur_cell_get(cell);
  return c ? c->name : NULL;
}

#define FOR_WEIGHTS(w, c) \
  for (const recur_weight_spec *w = (c)->weights; w < (c)->weights + RECUR_N_WEIGHT_KINDS && w->need; w++)

int recur_cell_projects(const recur_cell_info *c) {
  FOR_WEIGHTS(w, c)
    if (w->need == RECUR_NEED_PROJ) return 1;
  return 0;
}

static int needed(const recur_weight_spec *w, const recur_desc *d) {
  return w->need == RECUR_NEED_ALWAYS || (w->need == RECUR_NEED_BIAS && d->bias) ||
         (w->need == RECUR_NEED_PROJ && d->proj_size);
}

static int64_t dim_size(recur_dim dim, const recur_cell_info *c, const recur_desc *d,
                        int64_t layer) {
  int64_t out = d->proj_size ? d->proj_size : d->hidden_size;
  switch (dim) {
  case RECUR_DIM_NONE: break;
  case RECUR_DIM_GH: return c->gates * d->hidden_size;
  case RECUR_DIM_IN: return layer ? (d->bidirectional ? 2 : 1) * out : d->input_size;
  case RECUR_DIM_OUT: return out;
  case RECUR_DIM_H: return d->hidden_size;
  case RECUR_DIM_P: return d->proj_size;
  }
  return 0;
}

size_t recur_desc_tensors(const recur_desc *d, recur_tensor_spec *out) {
  const recur_cell_info *c = recur_cell_get(d->cell);
  int64_t dirs = d->bidirectional ? 2 : 1;
  size_t n = 0;
  for (int64_t u = 0; c && u < d->num_layers * dirs; u++)
    FOR_WEIGHTS(w, c) {
      if (!needed(w, d)) continue;
      if (out) {
        recur_tensor_spec *s = &out[n];
        int64_t layer = u / dirs;
        *s = (recur_tensor_spec){.unit = u, .kind = w->kind, .ndim = w->cols ? 2 : 1,
                                 .shape = {dim_size(w->rows, c, d, layer),
                                           dim_size(w->cols, c, d, layer)}};
        snprintf(s->name, sizeof s->name, "%s_l%lld%s", recur_weight_kind_names[w->kind],
                 (long long)layer, u % dirs ? "_reverse" : "");
      }
      n++;
    }
  return n;
}
