/* The precisions: what a network computes in, each described once (issue 22). A precision's
 * descriptor is all that differs between them below the drivers: its name, how its weights and
 * dot-product inputs are rounded, and how its panels store them (pack.h's layout). The drivers
 * address panels in bytes and hand the tiles converted input rows, so a new precision is a
 * descriptor here, a vocabulary (its dot product, body/dot_*.h) and its tables (tables.h). */
#ifndef RECUR_PRECISION_H
#define RECUR_PRECISION_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

/* Every precision, listed once: X(ID, name), RECUR_PRECISION_<ID> (recur.h pins the values,
 * from 0 without a gap) and recur_precision_<name>, its descriptor. */
#define RECUR_PRECISIONS(X) \
  X(FP32, fp32)             \
  X(BF16, bf16)             \
  X(INT8, int8)

typedef struct recur_precision_desc {
  recur_precision id;
  const char *name;     /* the one spelling: tune files, the command line, Python, Fortran */
  const char *rounding; /* how weights and dot-product inputs are rounded, for help and docs */
  size_t bytes;         /* per packed weight */
  int k_pack;           /* K elements per panel row (fp32 1; bf16 2, int8 4: K padded with 0) */
  size_t tile_extra;    /* bytes per output lane after a tile's panel rows (int8: its scale and
                           its sum correction, body/dot_int8.h) */
  size_t a_bytes; /* per element of an input row (x, h_{t-1}, o*tanh(c)) as the kernels read it */
  size_t a_header; /* bytes before a converted input row's elements (int8: the row's scale) */
  /* The reference layout's weights in this precision: rows x cols floats from w into dst
   * (fp32 copies, bf16 rounds, int8 stores each row's integers and its scale in row_scale,
   * which the others leave alone). The scalar table computes with these; pack takes them. */
  void (*round_weights)(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols);
  /* dst[tile j][k / k_pack][gate g][lane][k % k_pack] = w[g*H + j*nr + lane][k], zero past H
   * and past K, then tile_extra bytes per lane of tile j. w and row_scale are round_weights's.
   * Biases, gates and states are fp32 always. */
  void (*pack)(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
               int64_t K, int64_t nr);
  /* An input row of K floats as the kernels read it: a_header bytes, then the elements padded
   * with zeros to a multiple of k_pack; NULL: the kernels read the float rows as they are. */
  void (*convert_a)(void *dst, const float *src, int64_t K);
} recur_precision_desc;

#define RECUR_PRECISION_DECLARE(ID, name) extern const recur_precision_desc recur_precision_##name;
RECUR_PRECISIONS(RECUR_PRECISION_DECLARE)
#undef RECUR_PRECISION_DECLARE

/* The descriptor of p; NULL if p is not a recur_precision value. */
const recur_precision_desc *recur_precision_get(recur_precision p);

/* The precision whose name is the len characters at s; 0 if none is, 1 if one is. */
int recur_precision_named(const char *s, size_t len, recur_precision *out);

/* Every precision's name, "fp32, bf16": the lists that help texts and messages give. */
const char *recur_precision_names(void);

/* K rounded up to a whole panel row of f: the K of its panels' size and tile stride, and the
 * elements of a converted input row. Every K block but the last must be a multiple of
 * k_pack, so that no block splits a panel row. */
static inline int64_t recur_padded_k(const recur_precision_desc *f, int64_t K) {
  return (K + f->k_pack - 1) / f->k_pack * f->k_pack;
}

/* Bytes of one tile's panel for lanes = G * nr output lanes: its padded K rows and the extra. */
static inline size_t recur_tile_bytes(const recur_precision_desc *f, int64_t K, int64_t lanes) {
  return (size_t)lanes * ((size_t)recur_padded_k(f, K) * f->bytes + f->tile_extra);
}

/* Bytes of the panels of a (G*H x K) matrix in tiles of nr units. */
static inline size_t recur_panel_bytes(const recur_precision_desc *f, int64_t G, int64_t H,
                                       int64_t K, int64_t nr) {
  return (size_t)((H + nr - 1) / nr) * recur_tile_bytes(f, K, G * nr);
}

/* Bytes of one converted input row of K elements (formats with convert_a). */
static inline size_t recur_a_row_bytes(const recur_precision_desc *f, int64_t K) {
  return f->a_header + (size_t)recur_padded_k(f, K) * f->a_bytes;
}

#endif
