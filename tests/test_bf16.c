/* The bf16 weight format's kernels: the rounding's bits, the panel layout, and every bf16
 * table's tiles against a plain scalar computation of the same semantics (weights and inputs
 * rounded to bf16, products exact, for each pair of K acc + w[2q+1] a[2q+1] then + w[2q] a[2q],
 * in fp32), so bit for bit, neon_bf16 (BFDOT) within its bound (sum_matches); the cell
 * epilogues against the fp32 table of the same ISA fed the same chain; the native tables
 * against their fallbacks with NaN and Inf. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "kernels.h"
#include "randnet.h"
#include "tables.h"

static uint32_t bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static float from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* Fixed bit patterns: test_precision.c; here random ones against the nearest in double. */
TestSuite(bf16, .fini = tables_print);

Test(bf16, rounds_to_the_nearest_bf16_ties_to_even) {
  /* Against the nearest of the two bf16 neighbours in double, ties to the even one. */
  unsigned seed = 5;
  for (int i = 0; i < 200000; i++) {
    seed = seed * 1103515245u + 12345u;
    uint32_t u = seed ^ (seed >> 13) << 19;
    float x = from_bits(u);
    if (!isfinite(x)) continue;
    uint16_t down = (uint16_t)(u >> 16), up = (uint16_t)(down + 1), want;
    double dd = fabs((double)x - recur_bf16_float(down)), du = fabs(recur_bf16_float(up) - (double)x);
    if ((up & 0x7fff) == 0x7f80) du = fabs((double)from_bits(0x7f7fffffu) + 0x1p103 - fabs((double)x));
    want = dd < du || (dd == du && !(down & 1)) ? down : up;
    cr_assert_eq(recur_bf16_bits(x), want, "0x%08x: got 0x%04x want 0x%04x", u,
                 recur_bf16_bits(x), want);
  }
}

Test(bf16, packs_pairs_low_then_high_with_zeros_past_h_and_k) {
  enum { G = 2, H = 3, K = 3, NR = 4 };
  float w[G * H * K];
  for (int i = 0; i < G * H * K; i++) w[i] = (float)(i + 1);
  uint16_t panel[2 * G * NR * 2]; /* ceil(K / 2) pairs of G * NR lanes */
  recur_precision_bf16.pack(panel, w, NULL, G, H, K, NR);
  for (int q = 0; q < 2; q++)
    for (int g = 0; g < G; g++)
      for (int lane = 0; lane < NR; lane++)
        for (int half = 0; half < 2; half++) {
          int k = 2 * q + half;
          float want = lane < H && k < K ? w[(g * H + lane) * K + k] : 0.0f;
          cr_expect_eq(panel[((q * G + g) * NR + lane) * 2 + half], recur_bf16_bits(want),
                       "pair %d gate %d lane %d half %d", q, g, lane, half);
        }
  uint16_t row[4] = {0xffff, 0xffff, 0xffff, 0xffff};
  const float x[3] = {1.0f, -2.0f, 1.00390625f}; /* the last a tie, to 1 */
  recur_precision_bf16.convert_a(row, x, 3);
  cr_expect(row[0] == 0x3f80 && row[1] == 0xc000 && row[2] == 0x3f80 && row[3] == 0 &&
            row[3] == 0, "converted %04x %04x %04x %04x", row[0], row[1], row[2], row[3]);
  cr_expect_eq(recur_padded_k(&recur_precision_bf16, 37), 38);
  cr_expect_eq(recur_padded_k(&recur_precision_fp32, 37), 37);
}

static float bf(float x) { return recur_bf16_round(x); }

/* The scalar oracle: acc over the pairs of [k0, k1) of row w and input a (K floats). */
static float pair_dot(const float *w, const float *a, int64_t K, int64_t k0, int64_t k1, float acc) {
  for (int64_t k = k0; k < k1; k += 2) {
    acc = fmaf(k + 1 < K ? bf(w[k + 1]) : 0.0f, k + 1 < K ? bf(a[k + 1]) : 0.0f, acc);
    acc = fmaf(bf(w[k]), bf(a[k]), acc);
  }
  return acc;
}

/* BFDOT (neon_bf16; FEAT_BF16 without FPCR.EBF) rounds each pair's sum, then the accumulation,
 * to odd, where the oracle's two FMAs per pair round to nearest: a BFDOT step is off by less
 * than an ulp of the pair sum and one of the partial sum, the oracle's by half an ulp of each
 * of its two partial sums. So neon_bf16 is held to 4 fp32 ulps (2^-21 relative) of the
 * magnitude the chain accumulates (chain_magnitude): the sum over pairs of |pair sum| +
 * |partial sum|, exact in double; every other table promises the oracle's bits. */
static int promises_bits(const recur_kernels *k) { return strcmp(k->name, "neon_bf16") != 0; }

static double chain_magnitude(const float *w, const float *a, int64_t K, int64_t k1) {
  double sum = 0, m = 0;
  for (int64_t k = 0; k < k1; k += 2) {
    double p = (double)bf(w[k]) * bf(a[k]);
    if (k + 1 < K) p += (double)bf(w[k + 1]) * bf(a[k + 1]);
    sum += p;
    m += fabs(p) + fabs(sum);
  }
  return m;
}

static int sum_matches(const recur_kernels *k, float got, float want, double magnitude) {
  if (promises_bits(k)) return bits(got) == bits(want);
  return fabs((double)got - want) <= 0x1p-21 * magnitude;
}

/* Values of both signs scaled by 2^lo to 2^hi, so that sums round at every magnitude. */
static void fill_scaled(float *p, size_t n, int lo, int hi, unsigned *seed) {
  randnet_fill(p, n, seed);
  for (size_t i = 0; i < n; i++) p[i] = ldexpf(p[i], lo + (int)(i * 7 % (size_t)(hi - lo + 1)));
}

/* One micro-tile's operands: G*H x K weights packed for a bf16 table (nr = nv * vec), mr input
 * rows converted, and fp32 rows for the epilogue. */
typedef struct operands {
  int64_t G, H, K, nr;
  int mr;
  float *w, *x, *gx, *c, *hp, *bias, *b_hn;
  void *panel;
  uint16_t *rows;
  float *acc, *h, *y;
} operands;

/* Weights and inputs scaled by 2^-20..2^20 (wide), or 2^-6..1 so that the gates stay where the
 * activations do not saturate. */
static void operands_make(operands *o, int64_t G, int64_t nr, int64_t K, int mr, int wide,
                          unsigned seed) {
  int64_t Kp = recur_padded_k(&recur_precision_bf16, K), H = nr > 3 ? nr - 3 : nr;
  *o = (operands){.G = G, .H = H, .K = K, .nr = nr, .mr = mr};
  size_t n = (size_t)(mr * G * nr);
  o->w = malloc((size_t)(G * H * K) * sizeof(float));
  o->x = malloc((size_t)(mr * K) * sizeof(float));
  o->gx = malloc(n * sizeof(float));
  o->c = malloc(n * sizeof(float));
  o->hp = malloc(n * sizeof(float));
  o->bias = malloc((size_t)(G * nr) * sizeof(float));
  o->b_hn = malloc((size_t)nr * sizeof(float));
  o->panel = malloc(recur_panel_weights(G, H, Kp, nr) * sizeof(uint16_t));
  o->rows = malloc((size_t)(mr * Kp) * sizeof(uint16_t));
  o->acc = malloc(n * sizeof(float));
  o->h = malloc(n * sizeof(float));
  o->y = malloc(n * sizeof(float));
  fill_scaled(o->w, (size_t)(G * H * K), wide ? -20 : -6, wide ? 20 : 0, &seed);
  fill_scaled(o->x, (size_t)(mr * K), wide ? -20 : -6, wide ? 20 : 0, &seed);
  randnet_fill(o->gx, n, &seed);
  randnet_fill(o->c, n, &seed);
  randnet_fill(o->hp, n, &seed);
  randnet_fill(o->bias, (size_t)(G * nr), &seed);
  randnet_fill(o->b_hn, (size_t)nr, &seed);
  recur_precision_bf16.pack(o->panel, o->w, NULL, G, H, K, nr);
  for (int r = 0; r < mr; r++) recur_precision_bf16.convert_a(o->rows + r * Kp, o->x + r * K, K);
}

static void operands_free(operands *o) {
  free(o->w); free(o->x); free(o->gx); free(o->c); free(o->hp); free(o->bias); free(o->b_hn);
  free(o->panel); free(o->rows); free(o->acc); free(o->h); free(o->y);
}

static const float zeros[4096];

/* The sum the oracle expects at lane (gate g, unit u) of row r over [0, k1), and its chain's
 * magnitude. */
static float want_sum(const operands *o, int r, int64_t g, int64_t u, int64_t k1,
                      double *magnitude) {
  const float *w = u < o->H ? o->w + (g * o->H + u) * o->K : zeros;
  *magnitude = chain_magnitude(w, o->x + r * o->K, o->K, k1);
  return pair_dot(w, o->x + r * o->K, o->K, 0, k1, 0.0f);
}

/* Runs fn over K blocks of kc (a multiple of 2; the last block may end on an odd K) the way the
 * drivers do; a tile whose k is past its k1 parks its sums. */
static void run_tile(recur_tile_fn fn, recur_tile t, int64_t k, int64_t kc) {
  for (int64_t k0 = 0; k0 < t.k; k0 += kc) {
    t.k0 = k0, t.k1 = k0 + kc < k ? k0 + kc : k;
    fn(&t);
    if (t.k1 == k) break;
  }
}

static void tile_ptrs(const operands *o, int64_t gnv_vec, const void **a, float **acc, float **h,
                      float **c, const float **gx, const float **hp, float **y) {
  int64_t Kp = recur_padded_k(&recur_precision_bf16, o->K);
  for (int r = 0; r < o->mr; r++) {
    a[r] = o->rows + r * Kp, acc[r] = o->acc + r * gnv_vec, h[r] = o->h + r * o->nr;
    c[r] = o->c + r * o->nr, gx[r] = o->gx + r * gnv_vec, hp[r] = o->hp + r * o->nr;
    y[r] = o->y + r * gnv_vec;
  }
}

static const float SENTINEL = -12345.0f;

/* gemm[mr][gnv] of k: out = acc + bias against the oracle, and y's first units lanes. */
static void check_gemm(const recur_kernels *k, int mr, int gnv, int64_t K, int64_t kc) {
  operands o;
  int64_t nr = (int64_t)gnv * k->vec;
  operands_make(&o, 1, nr, K, mr, 1, (unsigned)(mr * 131 + gnv * 7 + K));
  const void *a[RECUR_MR_MAX];
  float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
  const float *gx[RECUR_MR_MAX], *hp[RECUR_MR_MAX];
  tile_ptrs(&o, nr, a, acc, h, c, gx, hp, y);
  for (int64_t i = 0; i < mr * nr; i++) o.y[i] = SENTINEL;
  recur_tile t = {.k = K, .panel = o.panel, .a = a, .acc = acc, .bias = o.bias, .y = y,
                  .units = (int)o.H};
  run_tile(k->gemm[mr - 1][recur_gnv_index(gnv)], t, K, kc);
  for (int r = 0; r < mr; r++)
    for (int64_t u = 0; u < nr; u++) {
      double magnitude;
      float want = want_sum(&o, r, 0, u, K, &magnitude) + o.bias[u];
      cr_assert(sum_matches(k, acc[r][u], want, magnitude + fabs(want)), "%s gemm mr %d gnv %d "
                "K %lld kc %lld: row %d lane %lld got %a want %a", k->name, mr, gnv, (long long)K,
                (long long)kc, r, (long long)u, (double)acc[r][u], (double)want);
      float want_y = u < o.H ? acc[r][u] : SENTINEL;
      cr_assert_eq(bits(y[r][u]), bits(want_y), "%s gemm y lane %lld", k->name, (long long)u);
    }
  operands_free(&o);
}

static const int gnvs[] = {1, 2, 3, 4, 6, 8, 12, 16};

Test(bf16, gemm_tiles_match_the_scalar_pair_order_bit_for_bit) {
  const recur_kernels *tables[4];
  size_t n = precision_tables(RECUR_PRECISION_BF16, tables);
  cr_assert_gt(n, 0, "no bf16 table runs here");
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(tables[i]->format, &recur_precision_bf16);
    tables_note(tables[i]);
    for (int mr = 1; mr <= RECUR_MR_MAX; mr++)
      for (size_t g = 0; g < sizeof gnvs / sizeof *gnvs; g++) {
        check_gemm(tables[i], mr, gnvs[g], 37, 1000); /* odd K, one block */
        check_gemm(tables[i], mr, gnvs[g], 37, 6);    /* parked between blocks */
        check_gemm(tables[i], mr, gnvs[g], 2, 2);
      }
  }
}

/* The fp32 operands that give the bf16 chain through an fp32 table: weights and inputs rounded
 * to bf16, each pair's elements swapped (the high one first), K padded to even with zeros. */
static void swapped_fp32(const float *src, int64_t rows, int64_t K, float *dst) {
  int64_t Kp = recur_padded_k(&recur_precision_bf16, K);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t k = 0; k < Kp; k++) {
      int64_t from = k ^ 1;
      dst[i * Kp + k] = from < K ? bf(src[i * K + from]) : 0.0f;
    }
}

/* cell[epi][nv][mr] of k: the parked sums against the oracle, then the epilogue's h, c and y
 * against fp32 table f (the same ISA) on the swapped operands, bit for bit. */
static void check_cell(const recur_kernels *k, const recur_kernels *f, int epi, int nv, int mr,
                       int64_t K, int64_t kc) {
  int64_t G = recur_epi_gates(epi), nr = (int64_t)nv * k->vec, Kp = recur_padded_k(&recur_precision_bf16, K);
  operands o;
  operands_make(&o, G, nr, K, mr, 0, (unsigned)(epi * 1000 + nv * 100 + mr * 10 + K));
  const void *a[RECUR_MR_MAX];
  float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
  const float *gx[RECUR_MR_MAX], *hp[RECUR_MR_MAX];
  tile_ptrs(&o, G * nr, a, acc, h, c, gx, hp, y);
  recur_tile_fn fn = k->cell[epi][recur_nv_index(nv)][mr - 1];
  recur_tile t = {.k = K + 2, .panel = o.panel, .a = a, .acc = acc, .gx = gx, .h = h, .c = c,
                  .hp = hp, .b_hn = o.b_hn, .y = y, .units = (int)o.H};
  run_tile(fn, t, K, kc); /* k past K: the sums are parked */
  for (int r = 0; r < mr; r++)
    for (int64_t g = 0; g < G; g++)
      for (int64_t u = 0; u < nr; u++) {
        double magnitude;
        float want = want_sum(&o, r, g, u, K, &magnitude), got = acc[r][g * nr + u];
        cr_assert(sum_matches(k, got, want, magnitude), "%s cell %d nv %d mr %d K %lld: row %d gate %lld "
                     "unit %lld got %a want %a", k->name, epi, nv, mr, (long long)K, r,
                     (long long)g, (long long)u, (double)got, (double)want);
      }

  /* The epilogue: the fp32 table on the swapped operands, from the same c; for a table that
   * does not promise the oracle's bits, on the sums it parked (k0 = Kp: no K left). */
  size_t n = (size_t)(mr * nr);
  float *parked = malloc((size_t)G * n * sizeof(float));
  memcpy(parked, o.acc, (size_t)G * n * sizeof(float));
  float *w32 = malloc((size_t)(G * o.H * Kp) * sizeof(float));
  float *x32 = malloc((size_t)(mr * Kp) * sizeof(float));
  float *panel32 = malloc(recur_panel_weights(G, o.H, Kp, nr) * sizeof(float));
  float *h32 = malloc(n * sizeof(float));
  float *c32 = malloc(n * sizeof(float)), *y32 = malloc(n * sizeof(float));
  swapped_fp32(o.w, G * o.H, K, w32);
  swapped_fp32(o.x, mr, K, x32);
  recur_precision_fp32.pack(panel32, w32, NULL, G, o.H, Kp, nr);
  memcpy(c32, o.c, n * sizeof(float));
  for (size_t i = 0; i < (size_t)G * n; i++) o.y[i] = SENTINEL;
  for (size_t i = 0; i < n; i++) y32[i] = SENTINEL;
  t.k = K;
  run_tile(fn, t, K, kc);
  const void *a32[RECUR_MR_MAX];
  float *h32r[RECUR_MR_MAX], *c32r[RECUR_MR_MAX], *y32r[RECUR_MR_MAX];
  for (int r = 0; r < mr; r++)
    a32[r] = x32 + r * Kp, h32r[r] = h32 + r * nr, c32r[r] = c32 + r * nr, y32r[r] = y32 + r * nr;
  memcpy(o.acc, parked, (size_t)G * n * sizeof(float)); /* kc's blocks parked over it */
  recur_tile t32 = {.k0 = promises_bits(k) ? 0 : Kp, .k1 = Kp, .k = Kp, .panel = panel32, .a = a32, .acc = acc, .gx = gx,
                    .h = h32r, .c = c32r, .hp = hp, .b_hn = o.b_hn, .y = y32r, .units = (int)o.H};
  f->cell[epi][recur_nv_index(nv)][mr - 1](&t32);
  for (int r = 0; r < mr; r++) {
    cr_assert_arr_eq(h[r], h32r[r], (size_t)nr * sizeof(float), "%s cell %d nv %d mr %d K %lld: h",
                     k->name, epi, nv, mr, (long long)K);
    cr_assert_arr_eq(y[r], y32r[r], (size_t)nr * sizeof(float), "%s cell %d: y", k->name, epi);
    cr_assert_arr_eq(c[r], c32r[r], (size_t)nr * sizeof(float), "%s cell %d: c", k->name, epi);
  }
  free(parked); free(w32); free(x32); free(panel32); free(h32); free(c32); free(y32);
  operands_free(&o);
}

/* "avx512_bf16fma" -> the fp32 table "avx512". */
static const recur_kernels *fp32_of(const recur_kernels *k) {
  char name[32];
  snprintf(name, sizeof name, "%s", k->name);
  *strchr(name, '_') = 0;
  return built_table(name);
}

Test(bf16, cell_tiles_match_the_oracle_and_the_fp32_epilogues_bit_for_bit) {
  const recur_kernels *tables[4];
  size_t n = precision_tables(RECUR_PRECISION_BF16, tables);
  cr_assert_gt(n, 0, "no bf16 table runs here");
  for (size_t i = 0; i < n; i++) {
    const recur_kernels *f = fp32_of(tables[i]);
    cr_assert(f && f->vec == tables[i]->vec, "%s has no fp32 table", tables[i]->name);
    for (int epi = 0; epi < RECUR_N_EPI; epi++)
      for (int nv = 1; nv <= RECUR_NV_MAX; nv *= 2) {
        if (!recur_nv_valid(nv, recur_epi_gates(epi))) continue;
        for (int mr = 1; mr <= RECUR_MR_MAX; mr++) {
          check_cell(tables[i], f, epi, nv, mr, 33, 1000);
          check_cell(tables[i], f, epi, nv, mr, 33, 4);
          check_cell(tables[i], f, epi, nv, mr, 1, 2);
        }
      }
  }
}

/* A native table and its fallback on the same operands, NaN and Inf among them: the same
 * bits, or NaN in both (the two may propagate different NaN payloads); finite sums of a table
 * that does not promise bits within sum_matches's bound. */
static void check_native(const recur_kernels *native, const recur_kernels *fallback) {
  for (int mr = 1; mr <= RECUR_MR_MAX; mr++)
    for (size_t g = 0; g < sizeof gnvs / sizeof *gnvs; g++) {
      int gnv = gnvs[g];
      int64_t nr = (int64_t)gnv * native->vec, K = 45;
      operands o;
      operands_make(&o, 1, nr, K, mr, 1, (unsigned)(mr * 17 + gnv));
      static const float specials[] = {NAN, INFINITY, -INFINITY};
      for (int i = 0; i < 3; i++) {
        o.w[(size_t)(mr * 977 + gnv * 31 + i * 101) % (size_t)(o.H * K)] = specials[i];
        o.x[(size_t)(mr * 13 + gnv * 7 + i * 29) % (size_t)(mr * K)] = specials[(i + 1) % 3];
      }
      recur_precision_bf16.pack(o.panel, o.w, NULL, 1, o.H, K, nr);
      int64_t Kp = recur_padded_k(&recur_precision_bf16, K);
      for (int r = 0; r < mr; r++) recur_precision_bf16.convert_a(o.rows + r * Kp, o.x + r * K, K);
      const void *a[RECUR_MR_MAX];
      float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
      const float *gx[RECUR_MR_MAX], *hp[RECUR_MR_MAX];
      tile_ptrs(&o, nr, a, acc, h, c, gx, hp, y);
      float *want = malloc((size_t)(mr * nr) * sizeof(float));
      recur_tile t = {.k = K, .panel = o.panel, .a = a, .acc = acc, .bias = o.bias,
                      .units = (int)o.H};
      run_tile(fallback->gemm[mr - 1][g], t, K, 8);
      memcpy(want, o.acc, (size_t)(mr * nr) * sizeof(float));
      run_tile(native->gemm[mr - 1][g], t, K, 8);
      for (int r = 0; r < mr; r++)
        for (int64_t u = 0; u < nr; u++) {
          float got = o.acc[r * nr + u], fb = want[r * nr + u];
          const float *w = u < o.H ? o.w + u * K : zeros;
          double magnitude = chain_magnitude(w, o.x + r * K, K, K) + fabs(fb);
          cr_assert(bits(got) == bits(fb) || (isnan(got) && isnan(fb)) ||
                      (isfinite(fb) && sum_matches(native, got, fb, magnitude)),
                    "mr %d gnv %d row %d lane %lld: %s %a, %s %a", mr, gnv, r, (long long)u,
                    native->name, (double)got, fallback->name, (double)fb);
        }
      free(want);
      operands_free(&o);
    }
}

Test(bf16, native_tables_match_their_fallbacks) {
  static const struct { const char *native, *fallback; unsigned feature; } pairs[] = {
    {"avx512_bf16", "avx512_bf16fma", RECUR_CPU_AVX512BF16},
    {"neon_bf16", "neon_bf16fma", RECUR_CPU_BF16},
  };
  int checked = 0;
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    const recur_kernels *native = built_table(pairs[i].native);
    if (native && (recur_cpu_detect() & pairs[i].feature)) {
      check_native(native, built_table(pairs[i].fallback));
      checked++;
    }
  }
  if (!checked) cr_skip_test("this CPU (or build) has no native bf16 table");
}

Test(bf16, each_isa_offers_its_best_bf16_table) {
  unsigned cpu = recur_cpu_detect();
  cr_expect_eq(recur_kernels_for(&recur_kernels_scalar, RECUR_PRECISION_BF16), &recur_kernels_scalar);
#if defined(__x86_64__)
  if ((recur_kernels_avx512.features & ~cpu) == 0)
    cr_expect_eq(recur_kernels_for(&recur_kernels_avx512, RECUR_PRECISION_BF16),
                 cpu & RECUR_CPU_AVX512BF16 ? &recur_kernels_avx512_bf16
                                            : &recur_kernels_avx512_bf16fma);
  if ((recur_kernels_avx2.features & ~cpu) == 0)
    cr_expect_eq(recur_kernels_for(&recur_kernels_avx2, RECUR_PRECISION_BF16), &recur_kernels_avx2_bf16fma);
  cr_expect(recur_kernels_avx512_bf16.features & RECUR_CPU_AVX512BF16);
  cr_expect_eq(recur_kernels_avx512_bf16fma.features & RECUR_CPU_AVX512BF16, 0);
#elif defined(__aarch64__)
  cr_expect_eq(recur_kernels_for(&recur_kernels_neon, RECUR_PRECISION_BF16),
               cpu & RECUR_CPU_BF16 ? &recur_kernels_neon_bf16 : &recur_kernels_neon_bf16fma);
  cr_expect(recur_kernels_neon_bf16.features & RECUR_CPU_BF16);
  cr_expect_eq(recur_kernels_neon_bf16fma.features & RECUR_CPU_BF16, 0);
#endif
  (void)cpu;
}
