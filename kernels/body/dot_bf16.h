/* The bf16 format's K loop (part of body/tiles.h), over pairs of K (pack.h): for pair q each
 * output element takes acc + w[2q+1] a[2q+1], then + w[2q] a[2q], vdpbf16ps's order (Intel's
 * pseudo-code: the odd element first). A bf16 product is exact in fp32, so each step is one
 * correctly rounded sum, and the native dot product (the ISA's VDOT_PAIRS) and the fallback
 * that widens bf16 to fp32 for two FMAs give the same bits; denormals aside: vdpbf16ps
 * flushes them, as the drivers' FTZ/DAZ do for the FMAs. Arm's BFDOT does not (it rounds to
 * odd: neon/simd.h); still one fixed chain per output element. Inputs are bf16 rows padded to even
 * K with zeros, so an odd K's last pair adds 0 * 0. */
#include "bf16.h"

#define FORMAT recur_precision_bf16

static void convert_a(void *dst, const float *src, int64_t K) { recur_bf16_convert_row(dst, src, K); }
#define CONVERT_A convert_a

/* Pair q of an input row (its elements 2q and 2q + 1, low and high halves). */
ALWAYS_INLINE uint32_t load_pair(const void *row, int64_t q) {
  uint32_t pair;
  memcpy(&pair, (const char *)row + 4 * q, sizeof pair);
  return pair;
}

#ifdef VDOT_PAIRS /* the ISA's pair dot product */
#define TABLE_SUFFIX _bf16
#define INPUT_REGS 1 /* a pair in one broadcast */

#define PAIRS_BCAST(r) vset1_pairs(load_pair(t->a[r], q))
#define PAIRS_WEIGHT(v) vload_pairs(p + (v) * VW)
#define PAIRS_STEP(acc, w, x) vdot_pairs(acc, w, x)

/* The peak is the pair dot product's: two products and two sums per lane (pairs of bf16
 * 0.001, so that the sums grow by 2e-6 a step and stay normal). */
#define PEAK_INSTRUCTION VDOT_PAIRS_NAME
#define PEAK_FLOPS 4 /* per lane */
#define PEAK_STEP(acc) vdot_pairs(acc, vset1_pairs(0x3a833a83u), vset1_pairs(0x3a833a83u))

ALWAYS_INLINE void dot_k(const int mr, const int gnv, const recur_tile *t,
                         vf acc[RECUR_MR_MAX][RECUR_GNV_MAX]) {
  const uint32_t *p = (const uint32_t *)t->panel + t->k0 / 2 * gnv * VW;
  for (int64_t q = t->k0 / 2; q < (t->k1 + 1) / 2; q++, p += gnv * VW)
    DOT_STEP(vpairs, vpairs, PAIRS_BCAST, PAIRS_WEIGHT, PAIRS_STEP, VPIN);
}
#else /* widened to fp32: two FMAs per pair, the high halves' first */
#define TABLE_SUFFIX _bf16fma
#define INPUT_REGS 2 /* the two halves of a pair: 3 rows would spill AVX2's 16 registers */

/* A pair's two halves as fp32 vectors. */
typedef struct vf2 {
  vf high, low;
} vf2;

#define HALVES_BCAST(r) widen_pair(load_pair(t->a[r], q))
#define HALVES_WEIGHT(v) (vf2){vload_bf16_high(p + (v) * VW), vload_bf16_low(p + (v) * VW)}
#define HALVES_STEP(acc, w, x) vfma(w.low, x.low, vfma(w.high, x.high, acc))
#define VPIN_HALVES(w) \
  do {                 \
    VPIN(w.high);      \
    VPIN(w.low);       \
  } while (0)

ALWAYS_INLINE vf2 widen_pair(uint32_t pair) {
  return (vf2){vset1(recur_bf16_float((uint16_t)(pair >> 16))),
               vset1(recur_bf16_float((uint16_t)pair))};
}

ALWAYS_INLINE void dot_k(const int mr, const int gnv, const recur_tile *t,
                         vf acc[RECUR_MR_MAX][RECUR_GNV_MAX]) {
  const uint32_t *p = (const uint32_t *)t->panel + t->k0 / 2 * gnv * VW;
  for (int64_t q = t->k0 / 2; q < (t->k1 + 1) / 2; q++, p += gnv * VW)
    DOT_STEP(vf2, vf2, HALVES_BCAST, HALVES_WEIGHT, HALVES_STEP, VPIN_HALVES);
}
#endif
