/* int8: symmetric quantization with one scale per row, the one definition recur uses for
 * weights (once, at creation: a scale per output row) and for the inputs of every product (x_t,
 * h_{t-1}, o*tanh(c): a scale per batch row, each step). A row's scale is its largest |value|
 * over 127; each value becomes round(value * 127 / largest), ties to even, in [-127, 127].
 * Rows whose largest |value| is below 2^-100 (zero included) quantize to zeros with scale 0; a
 * row holding NaN or Inf gets scale NaN, so whatever it enters comes out NaN. The arithmetic
 * works on bits and exact float operations, so it is the same on every CPU and under any
 * floating-point mode (the drivers' FTZ/DAZ included). */
#ifndef RECUR_INT8_H
#define RECUR_INT8_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The scale of a row and the factor that takes its values to [-127, 127]. */
typedef struct recur_int8_scale {
  float scale; /* value = q * scale */
  float to_q;  /* q = round(value * to_q) */
} recur_int8_scale;

/* The largest |x[i]| of n floats as its bits: integer compares, so that NaN and Inf need no
 * branch (their bits are the largest) and compilers vectorise the loop. */
static inline uint32_t recur_int8_max_bits(const float *x, int64_t n) {
  uint32_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &x[i], sizeof u);
    u &= 0x7fffffffu;
    m = u > m ? u : m;
  }
  return m;
}

static inline recur_int8_scale recur_int8_scale_of(const float *x, int64_t n) {
  uint32_t m = recur_int8_max_bits(x, n);
  if (m >= 0x7f800000u) return (recur_int8_scale){NAN, 0.0f};
  if (m < 0x0d800000u) return (recur_int8_scale){0.0f, 0.0f}; /* below 2^-100 */
  float largest;
  memcpy(&largest, &m, sizeof largest);
  return (recur_int8_scale){largest / 127.0f, 127.0f / largest};
}

/* round(x * to_q) to nearest, ties to even: adding and taking away 1.5 * 2^23 leaves the
 * integer nearest a value below 2^22 in magnitude in default rounding (which recur never
 * changes), without libm or a rounding-mode-dependent conversion. |x * to_q| <= 127 (1 + 2^-23),
 * so the result lies in [-127, 127]. */
static inline int recur_int8_quantize(float x, float to_q) {
  float v = x * to_q;
  return (int)((v + 0x1.8p23f) - 0x1.8p23f);
}

/* Quantizes n floats, dst[i] = (uint8_t)(q_i + offset): offset 0 gives int8 in two's complement,
 * 128 the unsigned bytes of x86's u8 x s8 dot product; returns the row's scale. */
static inline recur_int8_scale recur_int8_quantize_row(void *dst, const float *x, int64_t n,
                                                       int offset) {
  recur_int8_scale s = recur_int8_scale_of(x, n);
  uint8_t *d = dst;
  if (s.to_q == 0.0f) memset(d, offset, (size_t)n); /* zeros, or a NaN scale */
  else
    for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)(recur_int8_quantize(x[i], s.to_q) + offset);
  return s;
}

/* An input row as the int8 kernels read it (pack.h): its scale, then q + 128 per element,
 * padded with 128 (q = 0) to a multiple of four. */
static inline void recur_int8_convert_row(void *dst, const float *src, int64_t K) {
  uint8_t *d = (uint8_t *)dst + sizeof(float);
  recur_int8_scale s = recur_int8_quantize_row(d, src, K, 128);
  memcpy(dst, &s.scale, sizeof s.scale);
  for (int64_t k = K; k % 4; k++) d[k] = 128;
}

#endif
