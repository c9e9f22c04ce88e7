/* Packed panels (kernels/tile.h) and the weight formats they are stored in. */
#ifndef RECUR_PACK_H
#define RECUR_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Weights in a packed (G*H x K) matrix in tiles of nr units: ceil(H/nr) * K * G * nr; K here
 * is the format's padded K (recur_padded_k). */
size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr);

/* How a table's panels store their weights: the weight format, an axis of the kernel tables
 * beside the ISA. Every format keeps the panel order of tile.h; a format with smaller weights
 * (bf16 next) adds a packing here and its dot product in the ISA's vocabulary, and the drivers
 * stay as they are: they address panels in bytes. Biases, gates and states are fp32 always. */
typedef struct recur_weight_format {
  const char *name;
  size_t bytes;   /* per packed weight */
  int k_pack;     /* K elements per panel row (fp32 1; bf16 2, K padded to a multiple with 0) */
  size_t a_bytes; /* per element of an input row (x, h_{t-1}, o*tanh(c)) as the kernels read it */
  /* dst[tile j][k / k_pack][gate g][lane][k % k_pack] = w[g*H + j*nr + lane][k], zero past H
   * and past K. */
  void (*pack)(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr);
  /* An input row of K floats as the kernels read it, padded with zeros to a multiple of
   * k_pack; NULL: the kernels read the float rows as they are. */
  void (*convert_a)(void *dst, const float *src, int64_t K);
} recur_weight_format;

extern const recur_weight_format recur_format_fp32;
/* bf16 weights (RNE, bf16.h), read by the kernels in pairs of K: a panel row is the pair
 * (k = 2p low half, 2p + 1 high half) of each gate and lane; input rows are bf16 too. */
extern const recur_weight_format recur_format_bf16;

/* K rounded up to a whole panel row of f: the K of its panels' size and tile stride, and the
 * elements of a converted input row. Every K block but the last must be a multiple of
 * k_pack, so that no block splits a panel row. */
static inline int64_t recur_padded_k(const recur_weight_format *f, int64_t K) {
  return (K + f->k_pack - 1) / f->k_pack * f->k_pack;
}

/* A (G*H) vector packed like one panel row: dst[tile j][gate g][lane]; b NULL packs zeros. */
void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr);

#endif
