/* The packed kernels' data layout and the argument block of one micro-tile call. */
#ifndef RECUR_TILE_H
#define RECUR_TILE_H

#include <stdint.h>

/* A packed panel holds the G gate rows of nr = nv * vec hidden units for every k: panel[k] is
 * G*nv vectors, gate-major ([g][unit]), units past H zero. The input projection (W_ih), the
 * recurrence (W_hh) and the LSTM projection (W_hr, G = 1) all use it, so one micro-kernel
 * serves all three: acc[r][v] = sum over k of a[r][k] * panel[k][v], a single FMA chain per
 * element, k ascending. Nothing in it depends on mr, nr or the K blocking, so neither do the
 * results (see DESIGN.md, numerical contract). */

#define RECUR_MR_MAX 8   /* rows per micro-tile */
#define RECUR_NV_MAX 8   /* vectors of units per gate per tile */
#define RECUR_GNV_MAX 16 /* G * nv */

typedef struct recur_tile {
  int64_t k0, k1, k;       /* this call's K block [k0, k1) of the full K (empty: k0 = k1 = k) */
  const void *panel;       /* the tile's packed panel (k rows of gnv vectors), in the table's format */
  const void *const *a;    /* mr rows of K inputs (x, or h_{t-1}) in the format's a type */
  float *const *acc;       /* mr rows of gnv vectors: where a partial K block's sums wait */
  /* GEMM: out = acc + bias, written at acc (the input projection's gx, or proj's h). */
  const float *bias;       /* gnv vectors, or NULL */
  /* Cells: the fused epilogue of one time step. */
  const float *const *gx;  /* mr rows: this tile's projected input (gnv vectors) */
  float *const *h;         /* mr rows: the new h (LSTM with projection: o*tanh(c)) */
  float *const *c;         /* mr rows: LSTM cell state at this tile */
  const float *const *hp;  /* mr rows: GRU: h_{t-1} at this tile's units */
  const float *b_hn;       /* GRU: this tile's b_hn (nv vectors) */
  float *const *y;         /* mr rows or NULL: copy of h into the caller's output */
  int units;               /* valid units of this tile (y stores stop there) */
} recur_tile;

typedef void (*recur_tile_fn)(const recur_tile *t);

/* The cell epilogues a table provides, X(ID, name, G, widest nv): the math that follows a step's
 * G gate sums, in kernels/body/tiles.h's tile_cell. The widest nv keeps G * nv within
 * RECUR_GNV_MAX. A cell (cells/) names its epilogue. */
#define RECUR_EPILOGUES(X)     \
  X(RNN_TANH, rnn_tanh, 1, 8)  \
  X(RNN_RELU, rnn_relu, 1, 8)  \
  X(LSTM, lstm, 4, 4)          \
  X(GRU, gru, 3, 4)

#define RECUR_EPI_ID(ID, name, G, NV) RECUR_EPI_##ID,
enum { RECUR_EPILOGUES(RECUR_EPI_ID) RECUR_N_EPI };
#undef RECUR_EPI_ID

/* G of an epilogue: a constant where epi is one, as in the kernel body. */
static inline int recur_epi_gates(int epi) {
#define RECUR_EPI_GATES(ID, name, G, NV) if (epi == RECUR_EPI_##ID) return G;
  RECUR_EPILOGUES(RECUR_EPI_GATES)
#undef RECUR_EPI_GATES
  return 0;
}

/* Index of nv (1, 2, 4, 8) and of gnv (1, 2, 3, 4, 6, 8, 12, 16) in the tables; -1 if none. */
static inline int recur_nv_index(int nv) {
  return nv == 1 ? 0 : nv == 2 ? 1 : nv == 4 ? 2 : nv == 8 ? 3 : -1;
}
static inline int recur_gnv_index(int gnv) {
  static const signed char index[17] = {-1, 0, 1, 2, 3, -1, 4, -1, 5, -1, -1, -1, 6, -1, -1, -1, 7};
  return gnv >= 1 && gnv <= 16 ? index[gnv] : -1;
}
#define RECUR_N_GNV 8
#define RECUR_N_NV 4

/* Whether the tables have a kernel for nv vectors of each of `gates` gates. */
static inline int recur_nv_valid(int nv, int gates) {
  return recur_nv_index(nv) >= 0 && recur_gnv_index(nv * gates) >= 0;
}

#endif
