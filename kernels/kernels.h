/* struct recur_kernels: the one table type every instruction set fills. */
#ifndef RECUR_KERNELS_H
#define RECUR_KERNELS_H

#include <stddef.h>

#include "cpu.h"
#include "recur.h"
#include "pack.h"
#include "precision.h"
#include "tables.h"
#include "tile.h"

/* One layer and direction. The biases are folded: b_x = b_ih + b_hh, except where a cell keeps
 * its last gate's b_hh apart as b_hn (GRU's n gate: it sits inside r * (W_hn h + b_hn)). The
 * reference table keeps PyTorch's row-major float matrices; the others get packed panels
 * (kernels/tile.h) in their table's weight format. */
typedef struct recur_layer {
  int64_t gates, hidden, out; /* G, H, H_out */
  int64_t in_size;    /* I for layer 0, D*H_out after */
  const void *w_ih;   /* (G*H, in_size), or its panels */
  const void *w_hh;   /* (G*H, H_out), or its panels */
  const float *b_x;   /* (G*H), or packed like a panel row */
  const float *b_hn;  /* (H): cells that keep it apart only */
  const void *w_hr;   /* (P, H): LSTM with projection only, or its panels (G = 1) */
  /* The reference layout's weights are in the network's precision (its round_weights): bf16
   * rounded, int8 as integers with these row scales (NULL in packed layouts, whose panels
   * hold them); the reference steps treat their inputs as the precision says. */
  const float *s_ih, *s_hh, *s_hr;
  recur_precision precision;
} recur_layer;

/* The instruction a table's dot product is made of, and a loop that times it: a table's %peak
 * is measured against it (recur_isa_peak_gflops_at). */
typedef struct recur_peak_probe {
  const char *instruction; /* "fp32 FMA", or the dot product: "vdpbf16ps", "BFDOT", "vpdpbusd" */
  double (*run)(float *out, int64_t iters); /* iters rounds of independent chains of it; out:
                                               vec floats; returns the flops done */
} recur_peak_probe;

typedef struct recur_kernels {
  const char *name;
  const char *isa;   /* its instruction set's name (RECUR_ISA, the tune key): name less the format */
  unsigned features; /* RECUR_CPU_* bits the CPU (and OS) must have */

  /* The packed path (tile.h). Sizes and defaults are data, as in BLIS's configs. */
  const recur_precision_desc *format; /* its precision: how its panels store weights */
  int vec;                    /* floats per vector */
  int regs;                   /* vector registers: a micro-tile needs mr * (gnv + w) + w */
  int input_regs;             /* w: registers a row's broadcast input (and a weight) takes */
  int nv[RECUR_N_EPI];        /* default vectors of units per tile, per epilogue (nr = nv * vec) */
  int nv_proj;                /* the same for the LSTM projection (G = 1) */
  int l1_panels;              /* halve nv where half a W_hh panel fits the L1d (net_pack.c) */
  int64_t kc_bytes;           /* default K block: the panel rows that fit in this many bytes */
  recur_peak_probe peak;      /* run NULL: none (the scalar table) */
  /* Its format's convert_a (NULL where that is NULL), compiled for its ISA: the same bytes,
   * vectorised (int8's quantization per step was a third of a step, compiled for the
   * baseline). */
  void (*convert_a)(void *dst, const float *src, int64_t K);
  recur_tile_fn gemm[RECUR_MR_MAX][RECUR_N_GNV];
  recur_tile_fn cell[RECUR_N_EPI][RECUR_N_NV][RECUR_MR_MAX];
} recur_kernels;

/* Rows per micro-tile: mr if set, else as many as the registers hold beside gnv vectors of
 * accumulators (and the broadcast inputs), at least 1 and at most RECUR_MR_MAX. */
static inline int recur_tile_rows(const recur_kernels *k, int mr, int gnv) {
  if (mr) return mr;
  int w = k->input_regs;
  int fit = (k->regs - w) / (gnv + w);
  return fit < 1 ? 1 : fit > RECUR_MR_MAX ? RECUR_MR_MAX : fit;
}

#define RECUR_TABLE_DECLARE(name, isa, precision) extern const recur_kernels recur_kernels_##name;
RECUR_TABLES_ALL(RECUR_TABLE_DECLARE)
#undef RECUR_TABLE_DECLARE

/* Whether the len characters at s name an instruction set of tables.h's list, whether or not
 * this build or CPU runs it: RECUR_ISA, recur_isa_force and tune files name tables by these. */
int recur_isa_named(const char *s, size_t len);

/* The table new networks are built for (RECUR_ISA, recur_isa_force, else the best one this
 * CPU runs); NULL with the reason recorded (recur_fail) if RECUR_ISA names one it lacks. */
const recur_kernels *recur_kernels_active(void);

/* The table called name ("avx512") if this build has it and this CPU runs it, else
 * RECUR_ERR_INVALID_ARGUMENT (unknown) or RECUR_ERR_ISA_UNAVAILABLE, the reason recorded; name
 * NULL: the active table (recur_kernels_active). */
recur_status recur_kernels_find(const char *name, const recur_kernels **out);

/* The table a network of this precision runs on where k is the table asked for: the scalar
 * table for any precision (its reference steps round as the layer's precision says); k itself
 * if it is of that precision (tests run each table, fallbacks included); else the first table
 * of k's ISA and that precision in tables.h's list that this CPU runs; NULL if there is none.
 * A table whose format has convert_a gets converted input rows from the drivers. */
const recur_kernels *recur_kernels_for(const recur_kernels *k, recur_precision precision);

#endif
