/* bfloat16: the top 16 bits of an fp32 (sign, the same 8-bit exponent, 7 mantissa bits).
 * Rounding is to nearest, ties to even, on the bits, so it is the same on every CPU and under
 * any floating-point mode: NaN stays NaN (made quiet), Inf stays Inf, a value that rounds past
 * the largest bf16 becomes Inf, and denormals round like any other value. */
#ifndef RECUR_BF16_H
#define RECUR_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t recur_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float recur_bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* The bf16 nearest to f, as its 16 bits. */
static inline uint16_t recur_bf16_bits(float f) {
  uint32_t u = recur_float_bits(f);
  uint32_t nearest = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  uint32_t quiet_nan = (u >> 16) | 0x40u; /* rounding could carry a NaN's payload into Inf */
  return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : nearest);
}

/* The bf16 nearest to f, as the float it is exactly. */
static inline float recur_bf16_round(float f) {
  return recur_bits_float((uint32_t)recur_bf16_bits(f) << 16);
}

/* dst[i] = recur_bf16_round(src[i]); dst may be src. Branch-free, so compilers vectorise it. */
static inline void recur_bf16_round_array(float *dst, const float *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = recur_bf16_round(src[i]);
}

#endif
