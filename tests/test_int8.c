/* The int8 format: its quantization against values derived by hand, the panel and input-row
 * layout, and every int8 table's tiles (the native dot products and the widening fallbacks)
 * against integer sums computed here in int64: the same int32 sums, hence the same bits after
 * the one dequantization (sum * (weight scale * input scale), then + bias), for every mr, gnv,
 * K and K blocking, on inputs and weights at +-127 (the most any intermediate sum reaches) and
 * random ones; the cell epilogues against the fp32 table of the same ISA fed those sums. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "int8.h"
#include "kernels.h"
#include "randnet.h"
#include "tables.h"

TestSuite(int8, .fini = tables_print);

static float quantized(const float *x, int64_t n, int64_t i) {
  recur_int8_scale s = recur_int8_scale_of(x, n);
  return s.to_q == 0.0f ? 0.0f : (float)recur_int8_quantize(x[i], s.to_q);
}

Test(int8, quantizes_to_the_nearest_step_ties_to_even) {
  /* The largest |x| is 127: the scale is 1 and q = round(x), the halves to the even integer. */
  const float x[] = {127.0f, 2.5f, 3.5f, -2.5f, -126.5f, 0.49999997f, -0.5f, 1.5f, -127.0f, 0.0f};
  const int want[] = {127, 2, 4, -2, -126, 0, 0, 2, -127, 0};
  recur_int8_scale s = recur_int8_scale_of(x, 10);
  cr_expect_eq(s.scale, 1.0f);
  for (int i = 0; i < 10; i++)
    cr_expect_eq(quantized(x, 10, i), (float)want[i], "x %g: got %g want %d", (double)x[i],
                 (double)quantized(x, 10, i), want[i]);
  /* Largest 0.5: scale 0.5 / 127, values * 254; 0.25 is 63.5 -> 64 (even), the row ends at 127. */
  const float y[] = {0.25f, -0.5f, 0.001f};
  s = recur_int8_scale_of(y, 3);
  cr_expect_eq(s.scale, 0.5f / 127.0f);
  cr_expect_eq(quantized(y, 3, 0), 64.0f);
  cr_expect_eq(quantized(y, 3, 1), -127.0f);
  cr_expect_eq(quantized(y, 3, 2), 0.0f); /* 0.254 */
}

Test(int8, zero_tiny_and_non_finite_rows) {
  const float zero[3] = {0}, tiny[2] = {0x1p-101f, -0x1p-120f}, small[2] = {0x1p-100f, 0};
  cr_expect_eq(recur_int8_scale_of(zero, 3).scale, 0.0f);
  cr_expect_eq(recur_int8_scale_of(tiny, 2).scale, 0.0f, "below 2^-100: zeros");
  cr_expect_eq(quantized(tiny, 2, 0), 0.0f);
  cr_expect_eq(recur_int8_scale_of(small, 2).scale, 0x1p-100f / 127.0f, "2^-100 itself counts");
  cr_expect_eq(quantized(small, 2, 0), 127.0f);
  const float inf[2] = {1.0f, -INFINITY}, nan[2] = {NAN, 1.0f};
  cr_expect(isnan(recur_int8_scale_of(inf, 2).scale), "an Inf makes the scale NaN");
  cr_expect(isnan(recur_int8_scale_of(nan, 2).scale), "a NaN makes the scale NaN");
  uint8_t q[2] = {1, 1};
  recur_int8_quantize_row(q, nan, 2, 128);
  cr_expect(q[0] == 128 && q[1] == 128, "a NaN row stores q = 0: %u %u", q[0], q[1]);
}

/* dst[tile j][k / 4][gate g][lane][k % 4] = q, zero past H and K; then per tile the lanes'
 * scales and -128 times their sums. */
Test(int8, packs_groups_of_four_then_scales_and_corrections) {
  enum { G = 2, H = 3, K = 5, NR = 4, KP = 8, TILE = G * NR * (KP + 8) };
  float w[G * H * K], q[G * H * K], scale[G * H];
  for (int i = 0; i < G * H * K; i++) w[i] = (float)((i * 37) % 23 - 11) / 8.0f;
  recur_precision_int8.round_weights(q, scale, w, G * H, K);
  for (int row = 0; row < G * H; row++)
    for (int k = 0; k < K; k++) cr_expect_eq(q[row * K + k], quantized(w + row * K, K, k));
  size_t bytes = recur_panel_bytes(&recur_precision_int8, G, H, K, NR);
  cr_assert_eq(bytes, (size_t)TILE, "one tile: 8 padded K of 1 byte and 8 bytes of tail a lane");
  int8_t panel[TILE];
  memset(panel, 0x55, sizeof panel);
  recur_precision_int8.pack(panel, q, scale, G, H, K, NR);
  for (int k = 0; k < KP; k++)
    for (int g = 0; g < G; g++)
      for (int lane = 0; lane < NR; lane++) {
        int8_t want = lane < H && k < K ? (int8_t)q[(g * H + lane) * K + k] : 0;
        cr_expect_eq(panel[((k / 4 * G + g) * NR + lane) * 4 + k % 4], want, "k %d g %d lane %d", k, g, lane);
      }
  const char *tail = (const char *)panel + KP * G * NR;
  for (int g = 0; g < G; g++)
    for (int lane = 0; lane < NR; lane++) {
      float got_scale;
      int32_t got_corr, sum = 0;
      memcpy(&got_scale, tail + (g * NR + lane) * 4, 4);
      memcpy(&got_corr, tail + G * NR * 4 + (g * NR + lane) * 4, 4);
      for (int k = 0; lane < H && k < K; k++) sum += (int32_t)q[(g * H + lane) * K + k];
      cr_expect_eq(got_scale, lane < H ? scale[g * H + lane] : 0.0f, "g %d lane %d", g, lane);
      cr_expect_eq(got_corr, -128 * sum, "g %d lane %d", g, lane);
    }
}

Test(int8, converts_an_input_row_to_its_scale_and_shifted_bytes) {
  const float x[5] = {-1.0f, 0.5f, 0.25f, 1.0f / 127.0f, 0.0f};
  uint8_t row[4 + 8];
  memset(row, 0xee, sizeof row);
  cr_assert_eq(recur_a_row_bytes(&recur_precision_int8, 5), sizeof row);
  recur_precision_int8.convert_a(row, x, 5);
  float scale;
  memcpy(&scale, row, 4);
  cr_expect_eq(scale, 1.0f / 127.0f);
  const uint8_t want[8] = {1, 128 + 64, 128 + 32, 129, 128, 128, 128, 128}; /* 63.5 -> 64, 31.75 -> 32 */
  cr_expect_arr_eq(row + 4, want, 8);
}

/* One micro-tile's operands: G*H x K weights quantized and packed for int8 (nr = nv * vec), mr
 * input rows converted, and fp32 rows for the epilogue. extreme: every weight and input at
 * +-127 after quantization (the largest sums and the largest intermediate ones). */
typedef struct operands {
  int64_t G, H, K, nr;
  int mr;
  float *q, *scale, *x, *bias, *gx, *c, *hp, *b_hn;
  void *panel;
  uint8_t *rows;
  float *acc, *h, *y;
} operands;

static void operands_make(operands *o, int64_t G, int64_t nr, int64_t K, int mr, int extreme,
                          unsigned seed) {
  int64_t H = nr > 3 ? nr - 3 : nr;
  size_t n = (size_t)(mr * G * nr), nw = (size_t)(G * H * K);
  *o = (operands){.G = G, .H = H, .K = K, .nr = nr, .mr = mr};
  float *w = malloc(nw * sizeof(float));
  o->q = malloc(nw * sizeof(float));
  o->scale = malloc((size_t)(G * H) * sizeof(float));
  o->x = malloc((size_t)(mr * K) * sizeof(float));
  o->bias = malloc((size_t)(G * nr) * sizeof(float));
  o->gx = malloc(n * sizeof(float));
  o->c = malloc(n * sizeof(float));
  o->hp = malloc(n * sizeof(float));
  o->b_hn = malloc((size_t)nr * sizeof(float));
  o->panel = malloc(recur_panel_bytes(&recur_precision_int8, G, H, K, nr));
  o->rows = malloc((size_t)mr * recur_a_row_bytes(&recur_precision_int8, K));
  o->acc = malloc(n * sizeof(float));
  o->h = malloc(n * sizeof(float));
  o->y = malloc(n * sizeof(float));
  randnet_fill(w, nw, &seed);
  randnet_fill(o->x, (size_t)(mr * K), &seed);
  for (size_t i = 0; extreme && i < nw; i++) w[i] = (i * 7 + (size_t)seed) % 3 ? 0.75f : -0.75f;
  for (int64_t i = 0; extreme && i < mr * K; i++) o->x[i] = (i * 5) % 7 ? 2.0f : -2.0f;
  for (int64_t i = 0; !extreme && i < mr * K; i++) /* rows of every magnitude */
    o->x[i] = ldexpf(o->x[i], (int)(i / K * 9 % 41) - 20);
  randnet_fill(o->bias, (size_t)(G * nr), &seed);
  randnet_fill(o->gx, n, &seed);
  randnet_fill(o->c, n, &seed);
  randnet_fill(o->hp, n, &seed);
  randnet_fill(o->b_hn, (size_t)nr, &seed);
  recur_precision_int8.round_weights(o->q, o->scale, w, G * H, K);
  recur_precision_int8.pack(o->panel, o->q, o->scale, G, H, K, nr);
  for (int r = 0; r < mr; r++)
    recur_precision_int8.convert_a(o->rows + (size_t)r * recur_a_row_bytes(&recur_precision_int8, K),
                                   o->x + r * K, K);
  free(w);
}

static void operands_free(operands *o) {
  free(o->q); free(o->scale); free(o->x); free(o->bias); free(o->gx); free(o->c); free(o->hp);
  free(o->b_hn); free(o->panel); free(o->rows); free(o->acc); free(o->h); free(o->y);
}

/* The dot product the tables promise at (row r, gate g, unit u): the int64 sum of the integers
 * (exact, and within int32), times (weight scale * input scale) in fp32; 0 past H. The product
 * goes through a volatile so that no compiler fuses it with a following add. */
static float want_dot(const operands *o, int r, int64_t g, int64_t u) {
  if (u >= o->H) return 0.0f;
  const float *x = o->x + r * o->K, *q = o->q + (g * o->H + u) * o->K;
  recur_int8_scale s = recur_int8_scale_of(x, o->K);
  int64_t sum = 0;
  for (int64_t k = 0; s.to_q != 0.0f && k < o->K; k++)
    sum += (int64_t)q[k] * recur_int8_quantize(x[k], s.to_q);
  cr_assert(sum >= INT32_MIN && sum <= INT32_MAX, "the sum %lld overflows int32", (long long)sum);
  volatile float dot = (float)sum * (o->scale[g * o->H + u] * s.scale);
  return dot;
}

static void row_ptrs(const operands *o, int64_t lanes, const void **a, float **acc, float **h,
                     float **c, const float **gx, const float **hp, float **y) {
  size_t row_bytes = recur_a_row_bytes(&recur_precision_int8, o->K);
  for (int r = 0; r < o->mr; r++) {
    a[r] = o->rows + (size_t)r * row_bytes, acc[r] = o->acc + r * lanes, h[r] = o->h + r * o->nr;
    c[r] = o->c + r * o->nr, gx[r] = o->gx + r * lanes, hp[r] = o->hp + r * o->nr;
    y[r] = o->y + r * lanes;
  }
}

/* Runs fn over K blocks of kc (a multiple of 4) as the drivers do. */
static void run_tile(recur_tile_fn fn, recur_tile t, int64_t kc) {
  for (int64_t k0 = 0; k0 < t.k; k0 += kc) {
    t.k0 = k0, t.k1 = k0 + kc < t.k ? k0 + kc : t.k;
    fn(&t);
  }
}

static void check_gemm(const recur_kernels *k, int mr, int gnv, int64_t K, int64_t kc, int extreme) {
  operands o;
  int64_t nr = (int64_t)gnv * k->vec;
  operands_make(&o, 1, nr, K, mr, extreme, (unsigned)(mr * 131 + gnv * 7 + K));
  const void *a[RECUR_MR_MAX];
  float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
  const float *gx[RECUR_MR_MAX], *hp[RECUR_MR_MAX];
  row_ptrs(&o, nr, a, acc, h, c, gx, hp, y);
  recur_tile t = {.k = K, .panel = o.panel, .a = a, .acc = acc, .bias = o.bias, .y = y,
                  .units = (int)o.H};
  run_tile(k->gemm[mr - 1][recur_gnv_index(gnv)], t, kc);
  for (int r = 0; r < mr; r++)
    for (int64_t u = 0; u < nr; u++) {
      volatile float dot = want_dot(&o, r, 0, u);
      float want = dot + o.bias[u];
      cr_assert_eq(acc[r][u], want, "%s gemm mr %d gnv %d K %lld kc %lld%s: row %d lane %lld got %a want %a",
                   k->name, mr, gnv, (long long)K, (long long)kc, extreme ? " extreme" : "", r,
                   (long long)u, (double)acc[r][u], (double)want);
      if (u < o.H) cr_assert_eq(y[r][u], want, "%s gemm: y", k->name);
    }
  operands_free(&o);
}

Test(int8, gemm_tiles_give_the_integer_sums_bit_for_bit) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n = precision_tables(RECUR_PRECISION_INT8, tables);
  cr_assert_gt(n, 0, "no int8 table runs here");
  static const int gnvs[] = {1, 2, 3, 4, 6, 8, 12, 16};
  static const int64_t ks[] = {1, 3, 4, 5, 37, 64, 129};
  for (size_t i = 0; i < n; i++) {
    tables_note(tables[i]);
    for (int mr = 1; mr <= RECUR_MR_MAX; mr++)
      for (size_t g = 0; g < sizeof gnvs / sizeof *gnvs; g++)
        for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
          check_gemm(tables[i], mr, gnvs[g], ks[j], 1 << 20, 0);
          check_gemm(tables[i], mr, gnvs[g], ks[j], 8, 0);
        }
    /* 127 * 127 products in every lane, K long enough that the u8 x s8 chain's intermediate
     * sums pass 2^31 and wrap before the correction brings them back */
    for (int mr = 1; mr <= RECUR_MR_MAX; mr += 7)
      for (int64_t K = 4096; K <= 65536; K *= 16) check_gemm(tables[i], mr, 2, K, 1024, 1);
  }
}

/* "avx512_int8madd" -> the fp32 table "avx512". */
static const recur_kernels *fp32_of(const recur_kernels *k) {
  char name[32];
  snprintf(name, sizeof name, "%s", k->name);
  *strchr(name, '_') = 0;
  return built_table(name);
}

/* cell[epi][nv][mr] of the int8 table k against the fp32 table f's epilogue alone (an empty K
 * block) on the sums want_dot promises: the same h, c and y, bit for bit. */
static void check_cell(const recur_kernels *k, const recur_kernels *f, int epi, int nv, int mr,
                       int64_t K, int64_t kc) {
  operands o;
  int G = recur_epi_gates(epi);
  int64_t nr = (int64_t)nv * k->vec, lanes = G * nr;
  operands_make(&o, G, nr, K, mr, 0, (unsigned)(epi * 1000 + nv * 100 + mr * 10 + K));
  size_t n = (size_t)(mr * lanes);
  float *c0 = malloc(n * sizeof(float)), *sums = malloc(n * sizeof(float));
  float *h32 = malloc(n * sizeof(float)), *y32 = malloc(n * sizeof(float));
  memcpy(c0, o.c, n * sizeof(float));
  const void *a[RECUR_MR_MAX];
  float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
  float *s32[RECUR_MR_MAX], *h32r[RECUR_MR_MAX], *c32r[RECUR_MR_MAX], *y32r[RECUR_MR_MAX];
  const float *gx[RECUR_MR_MAX], *hp[RECUR_MR_MAX];
  row_ptrs(&o, lanes, a, acc, h, c, gx, hp, y);
  for (int r = 0; r < mr; r++) {
    for (int64_t g = 0; g < G; g++)
      for (int64_t u = 0; u < nr; u++) sums[r * lanes + g * nr + u] = want_dot(&o, r, g, u);
    s32[r] = sums + r * lanes, h32r[r] = h32 + r * nr, c32r[r] = c0 + r * nr, y32r[r] = y32 + r * nr;
  }
  recur_tile t = {.k = K, .panel = o.panel, .a = a, .acc = acc, .gx = gx, .h = h, .c = c,
                  .hp = hp, .b_hn = o.b_hn, .y = y, .units = (int)o.H};
  run_tile(k->cell[epi][recur_nv_index(nv)][mr - 1], t, kc);
  recur_tile t32 = {.k0 = K, .k1 = K, .k = K, .acc = s32, .gx = gx, .h = h32r, .c = c32r, .hp = hp,
                    .b_hn = o.b_hn, .y = y32r, .units = (int)o.H};
  f->cell[epi][recur_nv_index(nv)][mr - 1](&t32);
  for (int r = 0; r < mr; r++) {
    cr_assert_arr_eq(h[r], h32r[r], (size_t)nr * sizeof(float), "%s cell %d nv %d mr %d K %lld: h",
                     k->name, epi, nv, mr, (long long)K);
    cr_assert_arr_eq(y[r], y32r[r], (size_t)o.H * sizeof(float), "%s cell %d: y", k->name, epi);
    cr_assert_arr_eq(c[r], c32r[r], (size_t)nr * sizeof(float), "%s cell %d: c", k->name, epi);
  }
  free(c0); free(sums); free(h32); free(y32);
  operands_free(&o);
}

Test(int8, cell_tiles_match_the_integer_sums_and_the_fp32_epilogues_bit_for_bit) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n = precision_tables(RECUR_PRECISION_INT8, tables);
  cr_assert_gt(n, 0, "no int8 table runs here");
  for (size_t i = 0; i < n; i++) {
    const recur_kernels *f = fp32_of(tables[i]);
    cr_assert(f && f->vec == tables[i]->vec, "%s has no fp32 table", tables[i]->name);
    tables_note(tables[i]);
    for (int epi = 0; epi < RECUR_N_EPI; epi++)
      for (int nv = 1; nv <= RECUR_NV_MAX; nv *= 2) {
        if (!recur_nv_valid(nv, recur_epi_gates(epi))) continue;
        for (int mr = 1; mr <= RECUR_MR_MAX; mr++) {
          check_cell(tables[i], f, epi, nv, mr, 33, 1 << 20);
          check_cell(tables[i], f, epi, nv, mr, 33, 8);
        }
      }
  }
}

/* Past 65536 terms an int32 sum could overflow: an int8 network refuses any layer input wider
 * (recur.h), naming it, before it reads a tensor; 65536 itself and fp32 pass that check. */
static void expect_k_refused(const recur_desc *d, const char *what) {
  recur_net_options int8 = {RECUR_PRECISION_INT8}, fp32 = {RECUR_PRECISION_FP32};
  recur_net *net = NULL;
  cr_assert_eq(recur_net_create_ex(&net, d, NULL, 0, &int8), RECUR_ERR_INVALID_SIZE, "%s: %s",
               what, recur_last_error());
  cr_expect_null(net);
  char want[128];
  snprintf(want, sizeof want, "int8: %s is ", what);
  cr_expect(strstr(recur_last_error(), want), "%s", recur_last_error());
  cr_expect(strstr(recur_last_error(), "65536"), "%s", recur_last_error());
  cr_expect_neq(recur_net_create_ex(&net, d, NULL, 0, &fp32), RECUR_OK);
  cr_expect_null(strstr(recur_last_error(), "int8"), "fp32: %s", recur_last_error());
}

Test(int8, refuses_layer_inputs_past_65536) {
  recur_desc in = {RECUR_CELL_LSTM, 65537, 4, 1, 0, 0, 0, 0};
  expect_k_refused(&in, "input_size");
  recur_desc hidden = {RECUR_CELL_GRU, 4, 65537, 1, 0, 0, 0, 0};
  expect_k_refused(&hidden, "hidden_size");
  recur_desc above = {RECUR_CELL_RNN_TANH, 4, 32769, 2, 1, 0, 0, 0};
  expect_k_refused(&above, "the layers above the first's input (D * H_out)");
  recur_desc edge = {RECUR_CELL_LSTM, 65536, 4, 1, 0, 0, 0, 0};
  recur_net_options int8 = {RECUR_PRECISION_INT8};
  recur_net *net = NULL;
  cr_expect_neq(recur_net_create_ex(&net, &edge, NULL, 0, &int8), RECUR_OK, "no tensors given");
  cr_expect_null(strstr(recur_last_error(), "int8:"), "65536 fits: %s", recur_last_error());
}
