/* A cell kind described once. Each cell has its own file here (rnn.c, lstm.c, gru.c), listed in
 * cells.c; network creation, model loading, the tune file, the drivers and the tests read its
 * descriptor rather than asking which cell they have. The fast kernels' math for a cell is its
 * epilogue in kernels/body/tiles.h. */
#ifndef RECUR_CELL_H
#define RECUR_CELL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "recur.h"

/* The weight tensors, in PyTorch's names: "<kind>_l<k>[_reverse]". */
typedef enum recur_weight_kind {
  RECUR_W_IH, RECUR_W_HH, RECUR_B_IH, RECUR_B_HH, RECUR_W_HR, RECUR_N_WEIGHT_KINDS
} recur_weight_kind;
extern const char *const recur_weight_kind_names[RECUR_N_WEIGHT_KINDS];

/* A dimension of a weight, for one layer. */
typedef enum recur_dim {
  RECUR_DIM_NONE, /* none: the weight is a vector */
  RECUR_DIM_GH,   /* G*H: every gate's rows */
  RECUR_DIM_IN,   /* the layer's input: I for layer 0, D*H_out above */
  RECUR_DIM_OUT,  /* H_out: P with a projection, else H */
  RECUR_DIM_H,
  RECUR_DIM_P,
} recur_dim;

/* When a network has a weight; RECUR_NEED_END closes a cell's list. */
typedef enum recur_weight_need {
  RECUR_NEED_END, RECUR_NEED_ALWAYS, RECUR_NEED_BIAS, RECUR_NEED_PROJ
} recur_weight_need;

typedef struct recur_weight_spec {
  recur_weight_kind kind;
  recur_weight_need need;
  recur_dim rows, cols;
} recur_weight_spec;

/* The weights every PyTorch cell has: W_ih (G*H, in), W_hh (G*H, H_out), and with bias b_ih
 * and b_hh (G*H). */
#define RECUR_PYTORCH_WEIGHTS                                   \
  {RECUR_W_IH, RECUR_NEED_ALWAYS, RECUR_DIM_GH, RECUR_DIM_IN},  \
  {RECUR_W_HH, RECUR_NEED_ALWAYS, RECUR_DIM_GH, RECUR_DIM_OUT}, \
  {RECUR_B_IH, RECUR_NEED_BIAS, RECUR_DIM_GH, RECUR_DIM_NONE},  \
  {RECUR_B_HH, RECUR_NEED_BIAS, RECUR_DIM_GH, RECUR_DIM_NONE}

/* The reference step: one batch row through one time step, accumulated in double and written as
 * PyTorch's formulas (the oracle of the fast kernels). x has in_size floats, h H_out, c H (cells
 * with has_c, else NULL); scratch holds 2*G*H doubles. */
typedef void (*recur_ref_step_fn)(const recur_layer *ly, const float *x, float *h, float *c,
                                  double *scratch);

typedef struct recur_cell_info {
  const char *name; /* as the model metadata and the tune file spell it */
  recur_cell id;
  int gates;        /* G, gate-major in PyTorch's order */
  int has_c;        /* carries a cell state: c0 and c_n */
  /* 1: the last gate's b_hh stays apart as b_hn (H floats) for the epilogue, instead of being
   * folded into b_x (GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). */
  int keeps_b_hn;
  int epi;          /* its fused epilogue in the kernel tables, RECUR_EPI_* */
  recur_ref_step_fn ref_step;
  recur_weight_spec weights[RECUR_N_WEIGHT_KINDS]; /* up to RECUR_NEED_END */
} recur_cell_info;

/* The descriptor of a recur_cell, or NULL if it is none; ids run from 0 without a gap. */
const recur_cell_info *recur_cell_get(recur_cell id);
/* The same by its name's n bytes. */
const recur_cell_info *recur_cell_named(const char *name, size_t n);

/* G of a valid cell. */
static inline int64_t recur_cell_gates(recur_cell cell) {
  return recur_cell_get(cell)->gates;
}

/* Whether the cell takes a projection (proj_size, weight_hr). */
int recur_cell_projects(const recur_cell_info *c);

/* One weight tensor of a network: its layer and direction (unit = layer * D + direction),
 * kind, name and shape (shape[1] = 0 for a vector). */
typedef struct recur_tensor_spec {
  char name[48];
  int64_t unit;
  recur_weight_kind kind;
  int ndim;
  int64_t shape[2];
} recur_tensor_spec;

/* Every tensor that d needs, unit by unit, each unit's in its cell's order; writes them to out
 * unless it is NULL and returns how many there are (0 for a cell that is none). */
size_t recur_desc_tensors(const recur_desc *d, recur_tensor_spec *out);

#endif
