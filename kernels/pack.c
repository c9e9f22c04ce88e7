/* The packed panels' layout (pack.h). */
#include "pack.h"

#include <string.h>

#include "bf16.h"
#include "int8.h"

size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr) {
  return (size_t)((H + nr - 1) / nr) * (size_t)K * (size_t)G * (size_t)nr;
}

/* Writes tile j's extra bytes per lane at dst (int8's scales and corrections). */
typedef void (*tile_tail_fn)(char *dst, const float *w, const float *row_scale, int64_t G,
                             int64_t H, int64_t K, int64_t j, int64_t nr);

/* Puts every weight of the panels in their order, pack.h's layout for k_pack, with zeros past H
 * and past K, each tile followed by its tail (if any); inlined with put, so each format's store
 * is a plain store. */
static inline __attribute__((always_inline)) void pack_panels(
    void *dst, const float *w, const float *row_scale, int64_t G, int64_t H, int64_t K,
    int64_t nr, int k_pack, size_t bytes, void (*put)(void *dst, size_t i, float v),
    tile_tail_fn tail) {
  int64_t tiles = (H + nr - 1) / nr;
  char *d = dst;
  for (int64_t j = 0; j < tiles; j++) {
    size_t i = 0;
    for (int64_t k0 = 0; k0 < K; k0 += k_pack)
      for (int64_t g = 0; g < G; g++)
        for (int64_t lane = 0; lane < nr; lane++)
          for (int64_t k = k0, u = j * nr + lane; k < k0 + k_pack; k++)
            put(d, i++, u < H && k < K ? w[(g * H + u) * K + k] : 0.0f);
    d += i * bytes;
    if (tail) {
      tail(d, w, row_scale, G, H, K, j, nr);
      d += (size_t)(G * nr) * (sizeof(float) + sizeof(int32_t));
    }
  }
}

static void put_fp32(void *dst, size_t i, float v) { ((float *)dst)[i] = v; }
static void put_bf16(void *dst, size_t i, float v) { ((uint16_t *)dst)[i] = recur_bf16_bits(v); }
static void put_int8(void *dst, size_t i, float v) { ((int8_t *)dst)[i] = (int8_t)v; }

void recur_round_fp32(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols) {
  (void)row_scale;
  memcpy(dst, w, (size_t)(rows * cols) * sizeof *dst);
}

void recur_round_bf16(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols) {
  (void)row_scale;
  recur_bf16_round_array(dst, w, (size_t)(rows * cols));
}

void recur_round_int8(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++, w += cols, dst += cols) {
    recur_int8_scale s = recur_int8_scale_of(w, cols);
    row_scale[r] = s.scale;
    for (int64_t k = 0; k < cols; k++)
      dst[k] = s.to_q == 0.0f ? 0.0f : (float)recur_int8_quantize(w[k], s.to_q);
  }
}

void recur_pack_fp32(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr) {
  pack_panels(dst, w, row_scale, G, H, K, nr, 1, sizeof(float), put_fp32, NULL);
}

/* Pairs of bf16 as vdpbf16ps reads them: k = 2p in the low 16 bits of a 32-bit lane, 2p + 1
 * in the high ones (x86 and AArch64 are little-endian). */
void recur_pack_bf16(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr) {
  pack_panels(dst, w, row_scale, G, H, K, nr, 2, sizeof(uint16_t), put_bf16, NULL);
}

/* Tile j's lanes' row scales, then -128 times the sums of their weights: with inputs stored as
 * q + 128, sum (q + 128) w - 128 sum w is the product sum exactly (int32: K is bounded so that
 * no sum overflows, net.c). Lanes past H: 0 and 0. */
static void int8_tail(char *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                      int64_t K, int64_t j, int64_t nr) {
  char *corr = dst + (size_t)(G * nr) * sizeof(float);
  for (int64_t g = 0; g < G; g++)
    for (int64_t lane = 0; lane < nr; lane++) {
      int64_t u = j * nr + lane, i = g * nr + lane;
      float scale = u < H ? row_scale[g * H + u] : 0.0f;
      int32_t sum = 0;
      for (int64_t k = 0; u < H && k < K; k++) sum += (int32_t)w[(g * H + u) * K + k];
      sum *= -128;
      memcpy(dst + (size_t)i * sizeof scale, &scale, sizeof scale);
      memcpy(corr + (size_t)i * sizeof sum, &sum, sizeof sum);
    }
}

/* Groups of four int8 in one 32-bit lane, k = 4q in the low byte (what vpdpbusd and SDOT read). */
void recur_pack_int8(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr) {
  pack_panels(dst, w, row_scale, G, H, K, nr, 4, sizeof(int8_t), put_int8, int8_tail);
}

void recur_convert_a_bf16(void *dst, const float *src, int64_t K) {
  recur_bf16_convert_row(dst, src, K);
}

void recur_convert_a_int8(void *dst, const float *src, int64_t K) {
  recur_int8_convert_row(dst, src, K);
}

void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr) {
  int64_t tiles = (H + nr - 1) / nr;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t g = 0; g < G; g++)
      for (int64_t lane = 0; lane < nr; lane++) {
        int64_t u = j * nr + lane;
        *dst++ = b && u < H ? b[g * H + u] : 0.0f;
      }
}
