/* The int8 format's K loop (part of body/tiles.h), over groups of four K (pack.h): each 32-bit
 * lane of a panel row holds one output lane's four int8 weights, an input row's group is its
 * four bytes (q + 128), and the ISA's vdot4 adds the four products to an int32 lane. The sums
 * are exact (K <= 65536: no int32 overflow; two's complement wraps meanwhile, so a partial sum
 * may, the final one cannot), so every table gives the same integers, whichever way it takes
 * the products:
 *  - "<isa>_int8": the ISA's dot product: x86's vpdpbusd multiplies the stored bytes as
 *    unsigned (VDOT4_SHIFTED), so each chain starts at the tile's correction, -128 times its
 *    lane's weight sum; Arm's SDOT takes q itself (the bytes xor 0x80);
 *  - "<isa>_int8madd": widening multiplies and adds (vpmaddubsw and vpmaddwd, or SMULL and
 *    SADALP) whose intermediate sums cannot saturate (simd.h).
 * The sum times the lane's weight scale times the row's input scale, in fp32, is the dot
 * product the epilogue gets; the parked chains of a K block hold the integers. */
#include <string.h>

#include "int8.h"

#define FORMAT recur_precision_int8

static void convert_a(void *dst, const float *src, int64_t K) { recur_int8_convert_row(dst, src, K); }
#define CONVERT_A convert_a
#define ACC_INTEGER
typedef vi vacc;

#ifdef VDOT4_WIDENS
#define TABLE_SUFFIX _int8madd
#else
#define TABLE_SUFFIX _int8
#endif
#define INPUT_REGS VQ4_REGS

/* Group q of a converted input row: its elements 4q .. 4q + 3, past the row's scale. */
ALWAYS_INLINE uint32_t load_group(const void *row, int64_t q) {
  uint32_t group;
  memcpy(&group, (const char *)row + sizeof(float) + 4 * q, sizeof group);
  return group;
}

/* A tile's lane scales (gnv vectors of floats) and then its corrections (gnv vectors of
 * int32), after its K rows (padded to groups) of gnv vectors of four bytes a lane. */
ALWAYS_INLINE const char *tile_tail(const recur_tile *t, int gnv) {
  return (const char *)t->panel + (size_t)((t->k + 3) / 4) * 4 * (size_t)gnv * VW;
}

ALWAYS_INLINE vacc acc_start(const recur_tile *t, int gnv, int v) {
#ifdef VDOT4_SHIFTED
  return vi_load(tile_tail(t, gnv) + ((size_t)gnv + (size_t)v) * VW * sizeof(float));
#else
  (void)t, (void)gnv, (void)v;
  return vi_zero();
#endif
}
ALWAYS_INLINE vacc acc_load(const float *p) { return vi_load(p); }
ALWAYS_INLINE void acc_park(float *p, vacc a) { vi_store(p, a); }

/* sum * (weight scale * input scale), the one rounding order of every table. */
ALWAYS_INLINE vf acc_finish(const recur_tile *t, int gnv, int r, int v, vacc a) {
  float row_scale;
  memcpy(&row_scale, t->a[r], sizeof row_scale);
  vf lane_scale = vload((const float *)(const void *)tile_tail(t, gnv) + v * VW);
  return vmul(vi_float(a), vmul(lane_scale, vset1(row_scale)));
}

#define GROUP_BCAST(r) vq4_set1(load_group(t->a[r], q))
#define GROUP_WEIGHT(v) vi_load(p + (size_t)(v) * VW * 4)
#define GROUP_STEP(acc, w, x) vdot4(acc, w, x)

ALWAYS_INLINE void dot_k(const int mr, const int gnv, const recur_tile *t,
                         vacc acc[RECUR_MR_MAX][RECUR_GNV_MAX]) {
  const char *p = (const char *)t->panel + (size_t)t->k0 * (size_t)gnv * VW;
  for (int64_t q = t->k0 / 4; q < (t->k1 + 3) / 4; q++, p += (size_t)4 * gnv * VW)
    DOT_STEP(vq4, vi, GROUP_BCAST, GROUP_WEIGHT, GROUP_STEP, VPIN);
}

/* The peak is vdot4's: four products and four sums per lane. The weights are pinned to a
 * register each step, so that no compiler folds the constant products out of the chain. */
ALWAYS_INLINE vi peak_step(vi acc) {
  vi w = vi_set1(0x01010101u);
  VPIN(w);
  return vdot4(acc, w, vq4_set1(0x81818181u));
}
#define PEAK_INSTRUCTION VDOT4
#define PEAK_FLOPS 8 /* per lane */
#define PEAK_STEP(acc) peak_step(acc)
#define PEAK_ACC vi
#define PEAK_INIT(i) vi_set1((uint32_t)(i))
#define PEAK_ADD(a, b) vi_add(a, b)
#define PEAK_FLOATS(s) vi_float(s)
