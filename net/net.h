/* The network object: description, derived sizes and repacked weights. */
#ifndef RECUR_NET_H
#define RECUR_NET_H

#include <stdint.h>

#include "recur.h"
#include "cell.h"
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
  const recur_cell_info *cell; /* desc.cell's descriptor */
  int64_t gates; /* G: 1 RNN, 3 GRU, 4 LSTM */
  int64_t hidden;
  int64_t out;   /* H_out: proj_size or hidden_size */
  int64_t dirs;  /* D */
  recur_precision precision;
  const struct recur_kernels *kernels; /* the table the weights were packed for (precision's) */
  recur_tiling tiling;                 /* packed tables only */
  int tuned_tiling;                    /* 1: tiling came from the tune file */
  recur_tune_key tune_key;             /* its shape and table, as tune entries key them */
  recur_tune_file tune;                /* the tune file's entries of that shape (a view) */
  recur_layer *layers; /* num_layers * dirs, index l*dirs + d */
  void *weights;       /* one block holding every layer's arrays */
};

/* recur_net_create_ex with a given table (NULL: the active one; a bf16 network runs on an fp32
 * table's bf16 variant, or on the bf16 table given: recur_kernels_for) and packing (NULL: the tune file's for the shape, else
 * the table's defaults fitted to it; &recur_packing_builtin: the defaults, whatever the tune
 * file says). Tests, the tuner and `recur bench --vs-defaults` use it; results never depend on
 * the packing. */
extern const recur_packing recur_packing_builtin;
recur_status recur_net_create_for(recur_net **out, const recur_desc *desc,
                                  const recur_tensor *tensors, size_t n_tensors,
                                  const recur_net_options *options,
                                  const struct recur_kernels *kernels, const recur_packing *packing);

/* RECUR_ERR_INVALID_ARGUMENT, with the detail, unless options are NULL or valid. */
recur_status recur_net_check_options(const recur_net_options *options);

/* Replaces net's reference-layout weights by panels for net->kernels (net_pack.c), packed as
 * given (NULL: the table's defaults). */
recur_status recur_net_pack(recur_net *net, const recur_packing *given);

#endif
