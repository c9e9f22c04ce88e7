/* The network object: description, derived sizes and repacked weights. */
#ifndef RECUR_NET_H
#define RECUR_NET_H

#include <stdint.h>

#include "recur.h"
#include "internal.h"
#include "kernels.h"
#include "tile.h"
#include "tunefile.h"

/* How a packed network is tiled: its packing choices (0: the table's default, resolved when
 * packed) and the tile sizes they give. */
typedef struct recur_tiling {
  recur_packing pack;
  int64_t nr, tiles;           /* units per tile, tiles over H */
  int64_t nr_proj, tiles_proj; /* the same over P (0 without P) */
} recur_tiling;

struct recur_net {
  recur_desc desc;
  int64_t gates; /* G: 1 RNN, 3 GRU, 4 LSTM */
  int64_t hidden;
  int64_t out;   /* H_out: proj_size or hidden_size */
  int64_t dirs;  /* D */
  const struct recur_kernels *kernels; /* the table the weights were packed for */
  recur_tiling tiling;                 /* packed tables only */
  int tuned_tiling;                    /* 1: tiling came from the tune file */
  recur_tune_key tune_key;             /* its shape and table, as tune entries key them */
  recur_tune_file tune;                /* the tune file's entries of that shape (a view) */
  recur_layer *layers; /* num_layers * dirs, index l*dirs + d */
  float *weights;      /* one block holding every layer's arrays */
};

/* The weights of one layer and direction, in PyTorch's names: "<kind>_l<k>[_reverse]". */
typedef enum recur_weight_kind {
  RECUR_W_IH, RECUR_W_HH, RECUR_B_IH, RECUR_B_HH, RECUR_W_HR, RECUR_N_WEIGHT_KINDS
} recur_weight_kind;
extern const char *const recur_weight_kind_names[RECUR_N_WEIGHT_KINDS];

/* recur_net_create with a given table (NULL: the active one) and tiling (its pack half read;
 * NULL: the tune file's for the shape, else the table's defaults fitted to it;
 * &recur_tiling_builtin: the defaults, whatever the tune file says). Tests, the tuner and
 * `recur bench --vs-defaults` use it; results never depend on tiling. */
extern const recur_tiling recur_tiling_builtin;
recur_status recur_net_create_for(recur_net **out, const recur_desc *desc,
                                  const recur_tensor *tensors, size_t n_tensors,
                                  const struct recur_kernels *kernels, const recur_tiling *tiling);

/* recur_forward with the per-call choices given (tuned->call; NULL: the tune file's, as
 * recur_forward). The tuner uses it to time candidates. */
recur_status recur_forward_with(const recur_net *net, const recur_forward_args *args,
                                const recur_tune_params *tuned);

/* Replaces net's reference-layout weights by panels for net->kernels (net_pack.c), packed as
 * given (NULL: the table's defaults). */
recur_status recur_net_pack(recur_net *net, const recur_packing *given);

/* The cell's epilogue in the kernel tables (RECUR_EPI_*, kernels/tile.h). */
static inline int recur_net_epilogue(const recur_net *net) {
  static const int epi[] = {[RECUR_CELL_RNN_TANH] = RECUR_EPI_RNN_TANH,
                            [RECUR_CELL_RNN_RELU] = RECUR_EPI_RNN_RELU,
                            [RECUR_CELL_LSTM] = RECUR_EPI_LSTM, [RECUR_CELL_GRU] = RECUR_EPI_GRU};
  return epi[net->desc.cell];
}

#endif
