/* bf16 (bfloat16): the upper 16 bits of an fp32 (sign, the same 8-bit exponent, 7 mantissa
 * bits). The one conversion recur uses: for weights at creation and packing, for input rows in
 * the kernels' format, and in the reference semantics. Rounding works on the bits, so it is the
 * same on every CPU and under any floating-point mode. */
#ifndef RECUR_BF16_H
#define RECUR_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* x rounded to bf16, to nearest with ties to even, exactly as PyTorch's .to(torch.bfloat16):
 * NaN becomes the quiet NaN 0x7fc0, finite values too large round to +-Inf, denormals round
 * like any other value. */
static inline uint16_t recur_bf16_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  /* below half of the dropped bits' unit rounds down, above up, exactly half to the even
   * result; the carry may run into the exponent (up to Inf), which is the right result */
  uint16_t nearest = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
  return (u & 0x7fffffffu) > 0x7f800000u ? (uint16_t)0x7fc0 : nearest;
}

/* A bf16 as the fp32 it stands for (exact). */
static inline float recur_bf16_float(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* x rounded to bf16, as the float it is exactly. */
static inline float recur_bf16_round(float x) { return recur_bf16_float(recur_bf16_bits(x)); }

/* An input row as the bf16 kernels read it: bf16, padded with 0 to an even length. */
static inline void recur_bf16_convert_row(void *dst, const float *src, int64_t K) {
  uint16_t *d = dst;
  for (int64_t k = 0; k < K; k++) d[k] = recur_bf16_bits(src[k]);
  if (K % 2) d[K] = 0;
}

/* dst[i] = recur_bf16_round(src[i]); dst may be src. Branch-free, so compilers vectorise it. */
static inline void recur_bf16_round_array(float *dst, const float *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = recur_bf16_round(src[i]);
}

#endif
