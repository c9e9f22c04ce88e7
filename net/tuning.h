/* The tuning choices: what `recur tune` searches and a tune entry records (tunefile.h), in two
 * halves: the packing, fixed when a network is packed (its tiling, net.h), and the per-call
 * choices, which a call's schedule resolves (drivers/schedule.h). 0 in a choice: the built-in
 * one. */
#ifndef RECUR_TUNING_H
#define RECUR_TUNING_H

#include <stdint.h>

/* How a thread group shares its work (0 in a choice: the heuristic decides). */
typedef enum { RECUR_SPLIT_BATCH = 1, RECUR_SPLIT_HIDDEN = 2 } recur_split;

typedef struct recur_packing {
  int nv, nv_proj;         /* vectors of units per panel (cells, LSTM projection; 0 without P) */
  int64_t kc, kc_input;    /* K blocks of the recurrence (and projection), of the input GEMM */
} recur_packing;

typedef struct recur_call_choices {
  int mr;                  /* rows per micro-tile (0: as many as the registers hold) */
  int64_t chunk_rows;      /* T*B rows per input-projection chunk (the GEMM's M block) */
  int64_t mc;              /* rows per block inside a chunk (0: the whole chunk) */
  int split;               /* recur_split within a thread group */
  int groups;              /* 2: one thread group per direction, side by side; 1: one group */
  int use_threads;         /* threads that run, at most the call's */
  int bparts;              /* with split hidden: batch parts of a group (1: none) */
} recur_call_choices;

typedef struct recur_tune_params {
  recur_packing pack;
  recur_call_choices call;
} recur_tune_params;

#endif
