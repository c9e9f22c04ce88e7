/* The micro-kernels, written once over the vector vocabulary of an ISA's simd.h (vf, VW,
 * vload, vfma, ...) and compiled once per ISA and weight format by kernels/<isa>/table.c (the
 * format's K loop from body/dot_<format>.h).
 *
 * A micro-tile is mr rows x gnv vectors of accumulators, held in registers: for every k it
 * loads the panel's gnv vectors once and broadcasts a[r][k] once per row. All functions here
 * are specialised for constant mr and gnv (always_inline into the instantiations below), so
 * the accumulator arrays live in registers. */
#include "tile.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

#include "body/activations.h"

/* One step of a K loop over mr rows and gnv vectors: acc[r][v] = STEP(acc[r][v], WEIGHT(v),
 * BCAST(r)), broadcast inputs of type TA and weights of type TW (each weight held in registers
 * by PIN: VPIN). The mr broadcasts stay in registers and each weight vector is loaded once:
 * gnv + mr loads per mr * gnv FMAs (mr * (gnv + 1) + 1 <= the table's vector registers). The
 * formats' K loops (body/dot_*.h) are made of these steps. */
#define DOT_STEP(TA, TW, BCAST, WEIGHT, STEP, PIN)                                    \
  do {                                                                             \
    TA ak_[RECUR_MR_MAX];                                                          \
    for (int r = 0; r < mr; r++) ak_[r] = BCAST(r);                                \
    for (int v = 0; v < gnv; v++) {                                                \
      TW w_ = WEIGHT(v);                                                           \
      PIN(w_);                                                                     \
      for (int r = 0; r < mr; r++) acc[r][v] = STEP(acc[r][v], w_, ak_[r]);        \
    }                                                                              \
  } while (0)

/* The table's weight format: FORMAT, TABLE_SUFFIX and dot_k, its K loop over accumulators of
 * type vacc, with what starts, parks and finishes them (below for the float formats). */
#if defined(RECUR_FORMAT_BF16)
#include "body/dot_bf16.h"
#elif defined(RECUR_FORMAT_INT8)
#include "body/dot_int8.h"
#else
#include "body/dot_fp32.h"
#endif

/* The float formats accumulate the dot product itself, from 0. */
#ifndef ACC_INTEGER
typedef vf vacc;
ALWAYS_INLINE vacc acc_start(const recur_tile *t, int gnv, int v) {
  (void)t, (void)gnv, (void)v;
  return vzero();
}
ALWAYS_INLINE vacc acc_load(const float *p) { return vload(p); }
ALWAYS_INLINE void acc_park(float *p, vacc a) { vstore(p, a); }
ALWAYS_INLINE vf acc_finish(const recur_tile *t, int gnv, int r, int v, vacc a) {
  (void)t, (void)gnv, (void)r, (void)v;
  return a;
}
#endif

/* One step of the peak probe's chains: an FMA, unless the format's dot product is made of
 * another instruction (body/dot_bf16.h's pair dot product, body/dot_int8.h's). */
#ifndef PEAK_STEP
#define PEAK_INSTRUCTION "fp32 FMA"
#define PEAK_FLOPS 2 /* per lane: a product and a sum */
#define PEAK_STEP(acc) vfma(acc, vset1(0.999999f), vset1(1e-7f))
#endif
#ifndef PEAK_ACC
#define PEAK_ACC vf
#define PEAK_INIT(i) vset1((float)(i))
#define PEAK_ADD(a, b) vadd(a, b)
#define PEAK_FLOATS(s) (s)
#endif

/* sums = the dot products of [0, k) once the block [k0, k1) is added to the chain parked at
 * t->acc (k0 > 0) or started (k0 = 0); returns 0 if the block was not the last (its chain is
 * parked). An empty block (k0 = k1 = k) takes the finished sums from t->acc: a cell's epilogue
 * alone. */
ALWAYS_INLINE int tile_dot(const int mr, const int gnv, const recur_tile *t,
                           vf sums[RECUR_MR_MAX][RECUR_GNV_MAX]) {
  if (t->k0 == t->k1) {
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < gnv; v++) sums[r][v] = vload(t->acc[r] + v * VW);
    return 1;
  }
  vacc acc[RECUR_MR_MAX][RECUR_GNV_MAX];
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < gnv; v++)
      acc[r][v] = t->k0 ? acc_load(t->acc[r] + v * VW) : acc_start(t, gnv, v);
  dot_k(mr, gnv, t, acc);
  if (t->k1 != t->k) {
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < gnv; v++) acc_park(t->acc[r] + v * VW, acc[r][v]);
    return 0;
  }
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < gnv; v++) sums[r][v] = acc_finish(t, gnv, r, v, acc[r][v]);
  return 1;
}

/* Writes h's first `units` lanes (counted from this vector) to the caller's output. */
ALWAYS_INLINE void store_units(float *y, vf h, int units) {
  if (units >= VW) vstore(y, h);
  else if (units > 0) vstore_n(y, h, units);
}

/* GEMM: out = acc + bias (the input projection with its folded biases, or proj's h). */
ALWAYS_INLINE void tile_gemm(const int mr, const int gnv, const recur_tile *t) {
  vf acc[RECUR_MR_MAX][RECUR_GNV_MAX];
  if (!tile_dot(mr, gnv, t, acc)) return;
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < gnv; v++) {
      vf o = t->bias ? vadd(acc[r][v], vload(t->bias + v * VW)) : acc[r][v];
      vstore(t->acc[r] + v * VW, o);
      if (t->y) store_units(t->y[r] + v * VW, o, t->units - v * VW);
    }
}

/* One time step of mr rows x nv vectors of units; acc holds W_hh h_{t-1} gate-major. */
ALWAYS_INLINE void tile_cell(const int epi, const int mr, const int nv, const recur_tile *t) {
  const int G = recur_epi_gates(epi);
  vf acc[RECUR_MR_MAX][RECUR_GNV_MAX];
  if (!tile_dot(mr, G * nv, t, acc)) return;
  for (int r = 0; r < mr; r++) {
    const float *gx = t->gx[r];
    for (int v = 0; v < nv; v++) {
#define PRE(g) vadd(acc[r][(g) * nv + v], vload(gx + ((g) * nv + v) * VW))
      vf h;
      if (epi == RECUR_EPI_LSTM) {
        vf i = vsigmoid(PRE(0)), f = vsigmoid(PRE(1)), g = vtanh(PRE(2)), o = vsigmoid(PRE(3));
        vf c = vfma(f, vload(t->c[r] + v * VW), vmul(i, g));
        vstore(t->c[r] + v * VW, c);
        h = vmul(o, vtanh(c));
      } else if (epi == RECUR_EPI_GRU) {
        vf rg = vsigmoid(PRE(0)), z = vsigmoid(PRE(1));
        vf hn = vadd(acc[r][2 * nv + v], vload(t->b_hn + v * VW));
        vf n = vtanh(vfma(rg, hn, vload(gx + (2 * nv + v) * VW)));
        h = vfma(z, vsub(vload(t->hp[r] + v * VW), n), n); /* (1-z) n + z h */
      } else if (epi == RECUR_EPI_RNN_RELU) {
        h = vmax(PRE(0), vzero()); /* NaN stays NaN (simd.h) */
      } else {
        h = vtanh(PRE(0));
      }
#undef PRE
      vstore(t->h[r] + v * VW, h);
      if (t->y) store_units(t->y[r] + v * VW, h, t->units - v * VW);
    }
  }
}

/* Instantiations: every mr for every gnv (GEMM) and, per epilogue, for every nv up to its widest. */
#define GEMM_FN(MR, GNV) \
  static void gemm_##MR##x##GNV(const recur_tile *t) { tile_gemm(MR, GNV, t); }
#define FOR_MR(X, A) X(1, A) X(2, A) X(3, A) X(4, A) X(5, A) X(6, A) X(7, A) X(8, A)
#define FOR_GNV(X) FOR_MR(X, 1) FOR_MR(X, 2) FOR_MR(X, 3) FOR_MR(X, 4) FOR_MR(X, 6) \
  FOR_MR(X, 8) FOR_MR(X, 12) FOR_MR(X, 16)
FOR_GNV(GEMM_FN)

#define CELL_FN(ID, NAME, NV, MR) \
  static void NAME##_nv##NV##_mr##MR(const recur_tile *t) { tile_cell(RECUR_EPI_##ID, MR, NV, t); }
#define CELL_FNS_NV(ID, NAME, NV) CELL_FN(ID, NAME, NV, 1) CELL_FN(ID, NAME, NV, 2) \
  CELL_FN(ID, NAME, NV, 3) CELL_FN(ID, NAME, NV, 4) CELL_FN(ID, NAME, NV, 5)         \
  CELL_FN(ID, NAME, NV, 6) CELL_FN(ID, NAME, NV, 7) CELL_FN(ID, NAME, NV, 8)
#define CELL_FNS_UP_TO_4(ID, NAME) CELL_FNS_NV(ID, NAME, 1) CELL_FNS_NV(ID, NAME, 2) \
  CELL_FNS_NV(ID, NAME, 4)
#define CELL_FNS_UP_TO_8(ID, NAME) CELL_FNS_UP_TO_4(ID, NAME) CELL_FNS_NV(ID, NAME, 8)
#define CELL_FNS(ID, NAME, G, NV) CELL_FNS_UP_TO_##NV(ID, NAME)
RECUR_EPILOGUES(CELL_FNS)

/* Table initialisers: gemm[mr-1][gnv index], cell[epilogue][nv index][mr-1]. */
#define GEMM_COL(MR) {gemm_##MR##x1, gemm_##MR##x2, gemm_##MR##x3, gemm_##MR##x4, \
  gemm_##MR##x6, gemm_##MR##x8, gemm_##MR##x12, gemm_##MR##x16}
#define GEMM_TABLE {GEMM_COL(1), GEMM_COL(2), GEMM_COL(3), GEMM_COL(4), GEMM_COL(5), \
  GEMM_COL(6), GEMM_COL(7), GEMM_COL(8)}
#define CELL_ROW(NAME, NV) {NAME##_nv##NV##_mr1, NAME##_nv##NV##_mr2, NAME##_nv##NV##_mr3, \
  NAME##_nv##NV##_mr4, NAME##_nv##NV##_mr5, NAME##_nv##NV##_mr6, NAME##_nv##NV##_mr7, \
  NAME##_nv##NV##_mr8}
#define CELL_ROWS_UP_TO_4(NAME) {CELL_ROW(NAME, 1), CELL_ROW(NAME, 2), CELL_ROW(NAME, 4), {0}}
#define CELL_ROWS_UP_TO_8(NAME) \
  {CELL_ROW(NAME, 1), CELL_ROW(NAME, 2), CELL_ROW(NAME, 4), CELL_ROW(NAME, 8)}
#define CELL_ENTRY(ID, NAME, G, NV) [RECUR_EPI_##ID] = CELL_ROWS_UP_TO_##NV(NAME),
#define CELL_TABLE {RECUR_EPILOGUES(CELL_ENTRY)}

/* The peak probe: independent chains of the instruction the format's dot product is made of
 * (PEAK_STEP, body/dot_*.h), enough to cover its latency x ports on the CPUs recur targets:
 * 16 where the registers allow (vdpbf16ps needed 16 on Zen 5, where 12 ran 7% slower), else 12.
 * The sums go to out so nothing is optimised away. */
#define PEAK_CHAINS (REGS >= 32 ? 16 : 12)
static double peak_probe(float *out, int64_t iters) {
  PEAK_ACC acc[PEAK_CHAINS];
  for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = PEAK_INIT(i);
  for (int64_t n = 0; n < iters; n++)
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = PEAK_STEP(acc[i]);
  PEAK_ACC s = acc[0];
  for (int i = 1; i < PEAK_CHAINS; i++) s = PEAK_ADD(s, acc[i]);
  vstore(out, PEAK_FLOATS(s));
  return (double)iters * PEAK_CHAINS * VW * PEAK_FLOPS;
}

/* The table of this ISA and weight format, recur_kernels_<ISA><TABLE_SUFFIX> named
 * "<ISA><TABLE_SUFFIX>": the CPU features it needs (besides those its compile flags enable,
 * which it always requires: RECUR_CPU_TARGET), its micro-kernels, then its tile defaults as
 * designated initializers (.nv per epilogue, .nv_proj, .kc_bytes: kernels.h). */
#define TABLE_CAT_(a, b) a##b
#define TABLE_CAT(a, b) TABLE_CAT_(a, b)
#define TABLE_STR_(a) #a
#define TABLE_STR(a) TABLE_STR_(a)
#define TABLE_ID TABLE_CAT(ISA, TABLE_SUFFIX)
#define RECUR_DEFINE_TABLE(FEATURES, ...)                     \
  const recur_kernels TABLE_CAT(recur_kernels_, TABLE_ID) = { \
    .name = TABLE_STR(TABLE_ID),                              \
    .isa = TABLE_STR(ISA),                                    \
    .features = (FEATURES) | RECUR_CPU_TARGET,                \
    .vec = VW,                                                \
    .regs = REGS,                                             \
    .input_regs = INPUT_REGS,                                 \
    .format = &FORMAT,                                        \
    .peak = {PEAK_INSTRUCTION, peak_probe},                   \
    .convert_a = CONVERT_A,                                   \
    .gemm = GEMM_TABLE,                                       \
    .cell = CELL_TABLE,                                       \
    __VA_ARGS__                                               \
  }
