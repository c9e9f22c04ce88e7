/* bf16 (bfloat16): the upper 16 bits of an fp32, rounded. The one conversion recur uses, for
 * weights at packing and for input rows in the kernels' format, and the reference semantics. */
#ifndef RECUR_BF16_H
#define RECUR_BF16_H

#include <stdint.h>
#include <string.h>

/* x rounded to bf16, to nearest with ties to even, exactly as PyTorch's .to(torch.bfloat16):
 * NaN becomes the quiet NaN 0x7fc0, finite values too large round to +-Inf. */
static inline uint16_t recur_bf16_round(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  /* below half of the dropped bits' unit rounds down, above up, exactly half to the even
   * result; the carry may run into the exponent (up to Inf), which is the right result */
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

/* A bf16 as the fp32 it stands for (exact). */
static inline float recur_bf16_float(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

#endif
