/* struct recur_kernels: the one table type every instruction set fills. */
#ifndef RECUR_KERNELS_H
#define RECUR_KERNELS_H

#include <stddef.h>

#include "cpu.h"
#include "recur.h"
#include "pack.h"
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
  /* The network's: with BF16, the weights are already rounded (net creation) and the
   * reference steps round their inputs where they enter a dot product. */
  recur_precision precision;
} recur_layer;

/* The instruction a table's dot product is made of, and a loop that times it: a table's %peak
 * is measured against it (recur_isa_peak_gflops_at). */
typedef struct recur_peak_probe {
  const char *instruction; /* "fp32 FMA", or the pair dot product: "vdpbf16ps", "BFDOT" */
  double (*run)(float *out, int64_t iters); /* iters rounds of independent chains of it; out:
                                               vec floats; returns the flops done */
} recur_peak_probe;

typedef struct recur_kernels {
  const char *name;
  const char *isa;   /* its instruction set's name (RECUR_ISA, the tune key): name less the format */
  unsigned features; /* RECUR_CPU_* bits the CPU (and OS) must have */

  /* The packed path (tile.h). Sizes and defaults are data, as in BLIS's configs. */
  const recur_weight_format *format; /* how its panels store weights (pack.h) */
  int vec;                    /* floats per vector */
  int regs;                   /* vector registers: a micro-tile needs mr * (gnv + w) + w */
  int input_regs;             /* w: registers a row's broadcast input (and a weight) takes */
  int nv[RECUR_N_EPI];        /* default vectors of units per tile, per epilogue (nr = nv * vec) */
  int nv_proj;                /* the same for the LSTM projection (G = 1) */
  int64_t kc_bytes;           /* default K block: the panel rows that fit in this many bytes */
  recur_peak_probe peak;      /* run NULL: none (the scalar table) */
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

/* The name of every kernel table recur has, whether or not this build or CPU runs it: RECUR_ISA,
 * recur_isa_force and tune files name tables by these. */
#define RECUR_N_ISAS 4
extern const char *const recur_isa_names[RECUR_N_ISAS];

extern const recur_kernels recur_kernels_ref;
extern const recur_kernels recur_kernels_avx2;
extern const recur_kernels recur_kernels_avx512;
extern const recur_kernels recur_kernels_neon;
/* bf16 weights (pack.h's recur_format_bf16): "<isa>_bf16" takes the pair dot product with the
 * ISA's bf16 instruction (vdpbf16ps: the same bits as "<isa>_bf16fma", which widens to fp32
 * FMAs; BFDOT: within fp32 rounding of them, neon/simd.h). */
extern const recur_kernels recur_kernels_avx512_bf16;
extern const recur_kernels recur_kernels_avx512_bf16fma;
extern const recur_kernels recur_kernels_avx2_bf16fma;
extern const recur_kernels recur_kernels_neon_bf16;
extern const recur_kernels recur_kernels_neon_bf16fma;

/* The table new networks are built for (RECUR_ISA, recur_isa_force, else the best one this
 * CPU runs); NULL with the reason recorded (recur_fail) if RECUR_ISA names one it lacks. */
const recur_kernels *recur_kernels_active(void);

/* The table called name ("avx512") if this build has it and this CPU runs it, else
 * RECUR_ERR_INVALID_ARGUMENT (unknown) or RECUR_ERR_ISA_UNAVAILABLE, the reason recorded; name
 * NULL: the active table (recur_kernels_active). */
recur_status recur_kernels_find(const char *name, const recur_kernels **out);

/* The table a network of this precision runs on where k is the fp32 table asked for: k itself
 * for FP32, and for the scalar table whatever the precision (its reference steps round as the
 * layer's precision says); for BF16 the fastest bf16 table of k's ISA that this CPU runs
 * (recur_kernels_bf16_for). A bf16 table asked for (tests run each one, fallbacks included)
 * is itself for BF16, NULL for FP32. A bf16 table's format has convert_a: the drivers hand its
 * tiles converted input rows. */
const recur_kernels *recur_kernels_for(const recur_kernels *k, recur_precision precision);

/* The fastest bf16 table of fp32_table's ISA that this build has and this CPU runs; NULL for
 * the scalar table (the reference path is its own bf16 oracle) or an ISA without one. */
const recur_kernels *recur_kernels_bf16_for(const recur_kernels *fp32_table);

#endif
