/* The packed panels' layout (pack.h). */
#include "pack.h"

#include "bf16.h"

size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr) {
  return (size_t)((H + nr - 1) / nr) * (size_t)K * (size_t)G * (size_t)nr;
}

/* Puts every weight of the panels in their order, pack.h's layout for k_pack, with zeros past H
 * and past K; inlined with put, so each format's store is a plain store. */
static inline __attribute__((always_inline)) void pack_panels(
    void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr, int k_pack,
    void (*put)(void *dst, size_t i, float v)) {
  int64_t tiles = (H + nr - 1) / nr;
  size_t i = 0;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t k0 = 0; k0 < K; k0 += k_pack)
      for (int64_t g = 0; g < G; g++)
        for (int64_t lane = 0; lane < nr; lane++)
          for (int64_t k = k0, u = j * nr + lane; k < k0 + k_pack; k++)
            put(dst, i++, u < H && k < K ? w[(g * H + u) * K + k] : 0.0f);
}

static void put_fp32(void *dst, size_t i, float v) { ((float *)dst)[i] = v; }
static void put_bf16(void *dst, size_t i, float v) { ((uint16_t *)dst)[i] = recur_bf16_bits(v); }

void recur_pack_fp32(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr) {
  pack_panels(dst, w, G, H, K, nr, 1, put_fp32);
}

/* Pairs of bf16 as vdpbf16ps reads them: k = 2p in the low 16 bits of a 32-bit lane, 2p + 1
 * in the high ones (x86 and AArch64 are little-endian). */
void recur_pack_bf16(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr) {
  pack_panels(dst, w, G, H, K, nr, 2, put_bf16);
}

void recur_convert_a_bf16(void *dst, const float *src, int64_t K) {
  uint16_t *d = dst;
  for (int64_t k = 0; k < K; k++) d[k] = recur_bf16_bits(src[k]);
  if (K % 2) d[K] = 0;
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
