/* The network object: description, derived sizes and repacked weights. */
#ifndef RECUR_NET_H
#define RECUR_NET_H

#include <stdint.h>

#include "recur.h"

/* One layer and direction, in the reference kernels' layout: PyTorch's row-major matrices with
 * the biases folded (b_x = b_ih + b_hh, except GRU's n gate, whose b_hh stays apart because it
 * sits inside r * (W_hn h + b_hn)). */
typedef struct recur_layer {
  int64_t in_size;    /* I for layer 0, D*H_out after */
  const float *w_ih;  /* (G*H, in_size) */
  const float *w_hh;  /* (G*H, H_out) */
  const float *b_x;   /* (G*H) */
  const float *b_hn;  /* (H): GRU only */
  const float *w_hr;  /* (P, H): LSTM with projection only */
} recur_layer;

struct recur_net {
  recur_desc desc;
  int64_t gates; /* G: 1 RNN, 3 GRU, 4 LSTM */
  int64_t hidden;
  int64_t out;   /* H_out: proj_size or hidden_size */
  int64_t dirs;  /* D */
  recur_layer *layers; /* num_layers * dirs, index l*dirs + d */
  float *weights;      /* one block holding every layer's arrays */
};

/* The weights of one layer and direction, in PyTorch's names: "<kind>_l<k>[_reverse]". */
typedef enum recur_weight_kind {
  RECUR_W_IH, RECUR_W_HH, RECUR_B_IH, RECUR_B_HH, RECUR_W_HR, RECUR_N_WEIGHT_KINDS
} recur_weight_kind;
extern const char *const recur_weight_kind_names[RECUR_N_WEIGHT_KINDS];

static inline int64_t recur_cell_gates(recur_cell cell) {
  return cell == RECUR_CELL_LSTM ? 4 : cell == RECUR_CELL_GRU ? 3 : 1;
}

#endif
