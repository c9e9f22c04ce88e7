/* Every SIMD table against the reference on hundreds of random shapes, also with NaN and Inf
 * in them, and the numerical contract: tile sizes never change a bit of the output. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "forward.h"
#include "golden.h"
#include "kernels.h"
#include "net.h"
#include "poison.h"
#include "randnet.h"
#include "stream.h"
#include "tables.h"

typedef struct shape {
  recur_desc d;
  int64_t T, B;
  int batch_first, lengths, h0;
} shape;

typedef struct outputs {
  float *y, *hn, *cn;
  size_t ny, nh, nc;
} outputs;

/* A non-finite value written over one element of x, h0, c0 or a weight, chosen by the seed. */
typedef enum { POISON_NONE, POISON_X, POISON_H0, POISON_C0, POISON_WEIGHT } poison_place;
typedef struct poison {
  poison_place place;
  float value;
} poison;

static unsigned next(unsigned *seed, unsigned n) {
  *seed = *seed * 1103515245u + 12345u;
  return (*seed >> 8) % n;
}

static shape random_shape(unsigned *seed) {
  static const int64_t sizes[] = {1, 3, 17, 33, 100, 129, 5, 16};
  static const int64_t steps[] = {1, 2, 3, 5, 8, 13};
  static const int64_t batches[] = {1, 2, 3, 5, 9};
  shape s = {0};
  s.d.cell = (recur_cell)next(seed, 4);
  s.d.input_size = sizes[next(seed, 8)];
  s.d.hidden_size = sizes[next(seed, 8)];
  s.d.num_layers = 1 + next(seed, 3) / 2 + (next(seed, 8) == 0);
  s.d.bidirectional = (int)next(seed, 2);
  s.d.bias = next(seed, 5) != 0;
  if (s.d.cell == RECUR_CELL_LSTM && s.d.hidden_size > 1 && next(seed, 3) == 0)
    s.d.proj_size = 1 + next(seed, (unsigned)s.d.hidden_size - 1);
  s.T = steps[next(seed, 6)];
  s.B = batches[next(seed, 5)];
  s.batch_first = (int)next(seed, 2);
  s.lengths = (int)next(seed, 2);
  s.h0 = (int)next(seed, 2);
  return s;
}

static void poison_one(float *p, size_t n, float value, unsigned *seed) {
  if (n) p[next(seed, (unsigned)n)] = value;
}

/* Runs shape s on a network of the given precision for the given fp32 table (its bf16 variant
 * for bf16) and choices (NULL: defaults), with x, h0, c0 or a weight poisoned as pz says
 * (NULL: none). */
static void run(const shape *s, const recur_kernels *k, recur_precision precision,
                const recur_tune_params *choices, unsigned seed, const poison *pz, outputs *o) {
  randnet_tensors w;
  randnet_make(&s->d, seed, &w);
  unsigned poison_seed = seed + 2;
  poison_place place = pz ? pz->place : POISON_NONE;
  if (place == POISON_WEIGHT) {
    const recur_tensor *t = &w.t[next(&poison_seed, (unsigned)w.n)];
    size_t count = (size_t)(t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1));
    poison_one(w.data[t - w.t], count, pz->value, &poison_seed);
  }
  recur_net *net;
  recur_net_options options = {.precision = precision};
  recur_status st = recur_net_create_for(&net, &s->d, w.t, w.n, &options, k,
                                         choices ? &choices->pack : NULL);
  cr_assert_eq(st, RECUR_OK, "%s", recur_last_error());
  tables_note(net->kernels);
  randnet_free(&w);
  int64_t D = s->d.bidirectional ? 2 : 1, Hout = s->d.proj_size ? s->d.proj_size : s->d.hidden_size;
  size_t nx = (size_t)(s->T * s->B * s->d.input_size);
  o->ny = (size_t)(s->T * s->B * D * Hout);
  o->nh = (size_t)(s->d.num_layers * D * s->B * Hout);
  o->nc = s->d.cell == RECUR_CELL_LSTM ? (size_t)(s->d.num_layers * D * s->B * s->d.hidden_size) : 0;
  float *x = malloc(nx * sizeof *x), *h0 = malloc(o->nh * sizeof *h0);
  float *c0 = malloc((o->nc + 1) * sizeof *c0);
  int64_t *len = malloc((size_t)s->B * sizeof *len);
  unsigned data_seed = seed + 1;
  randnet_fill(x, nx, &data_seed);
  randnet_fill(h0, o->nh, &data_seed);
  randnet_fill(c0, o->nc, &data_seed);
  for (int64_t b = 0; b < s->B; b++) len[b] = 1 + next(&data_seed, (unsigned)s->T);
  if (place == POISON_X) poison_one(x, nx, pz->value, &poison_seed);
  if (place == POISON_H0) poison_one(h0, o->nh, pz->value, &poison_seed);
  if (place == POISON_C0) poison_one(c0, o->nc, pz->value, &poison_seed);
  o->y = malloc(o->ny * sizeof(float));
  o->hn = malloc(o->nh * sizeof(float));
  o->cn = o->nc ? malloc(o->nc * sizeof(float)) : NULL;
  float fill = k == &recur_kernels_scalar ? WANT_POISON : OUT_POISON; /* the reference is compared with */
  poison_outputs(o->y, o->ny, fill), poison_outputs(o->hn, o->nh, fill), poison_outputs(o->cn, o->nc, fill);
  recur_forward_args a = {.seq_len = s->T, .batch = s->B, .input_size = s->d.input_size,
                          .batch_first = s->batch_first, .x = x,
                          .lengths = s->lengths ? len : NULL, .h0 = s->h0 ? h0 : NULL,
                          .c0 = s->h0 && o->nc ? c0 : NULL, .y = o->y, .h_n = o->hn, .c_n = o->cn};
  st = recur_forward_with(net, &a, choices ? &choices->call : NULL);
  cr_assert_eq(st, RECUR_OK, "%s", recur_last_error());
  free(x); free(h0); free(c0); free(len);
  recur_net_free(net);
}

static void outputs_free(outputs *o) {
  free(o->y); free(o->hn); free(o->cn);
}

static void describe(char *buf, size_t n, const shape *s) {
  snprintf(buf, n, "%s I=%lld H=%lld P=%lld L=%lld bi=%d bias=%d T=%lld B=%lld bf=%d len=%d h0=%d",
           recur_cell_name(s->d.cell), (long long)s->d.input_size, (long long)s->d.hidden_size,
           (long long)s->d.proj_size, (long long)s->d.num_layers, s->d.bidirectional, s->d.bias,
           (long long)s->T, (long long)s->B, s->batch_first, s->lengths, s->h0);
}

static void expect_close(const char *isa, const char *what, const shape *s, const float *got,
                         const float *want, size_t n, golden_tol tol) {
  size_t worst = 0, bad = golden_mismatches_within(got, want, n, tol, &worst);
  if (bad) {
    char d[256];
    describe(d, sizeof d, s);
    cr_expect_eq(bad, 0, "%s %s [%s]: %zu of %zu off; worst [%zu] got %.9g want %.9g", isa, what,
                 d, bad, n, worst, (double)got[worst], (double)want[worst]);
  }
}

static size_t count_nan(const float *p, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += isnan(p[i]) != 0;
  return count;
}

/* Runs shape s (poisoned by pz, or NULL) on the reference and on k, both in the same
 * precision, and expects k's outputs within tol of the reference's; adds the NaNs of the
 * reference's y to *nans if nans is set. */
static void expect_like_reference(const char *label, const shape *s, const recur_kernels *k,
                                  recur_precision precision, golden_tol tol, unsigned seed,
                                  const poison *pz, size_t *nans) {
  outputs want, got;
  run(s, &recur_kernels_scalar, precision, NULL, seed, pz, &want);
  run(s, k, precision, NULL, seed, pz, &got);
  expect_close(label, "y", s, got.y, want.y, want.ny, tol);
  expect_close(label, "h_n", s, got.hn, want.hn, want.nh, tol);
  if (want.nc) expect_close(label, "c_n", s, got.cn, want.cn, want.nc, tol);
  if (nans) *nans += count_nan(want.y, want.ny);
  outputs_free(&want);
  outputs_free(&got);
}

#define N_SHAPES 300

TestSuite(kernels, .fini = tables_print);

Test(kernels, every_isa_matches_the_reference_on_random_shapes) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = fast_tables(tables);
  cr_assert_gt(n_tables, 0, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  for (size_t i = 0; i < n_tables; i++) {
    const recur_kernels *k = tables[i];
    unsigned seed = 2024;
    for (int n = 0; n < N_SHAPES; n++) {
      shape s = random_shape(&seed);
      expect_like_reference(k->name, &s, k, RECUR_PRECISION_FP32, GOLDEN_FP32_TOL, seed, NULL, NULL);
    }
  }
}

/* bf16: every table's bf16 variant against the scalar table's bf16 reference steps, on the
 * same random shapes. Both round the same inputs, so they differ by fp32 against double
 * accumulation (within 1e-5 + 1e-5 |want|, as fp32), except where such a difference puts an
 * h_{t-1} or o*tanh(c) on the other side of a bf16 rounding boundary: then that input differs
 * by a bf16 ulp (2^-8 of it) in the next sums. Measured on these shapes: worst |err| 1.2e-5,
 * worst |err| / |want| 2.0e-4 where |want| >= 0.05 (one shape of 300 past 1e-5). */
#define BF16_VS_REF_TOL ((golden_tol){1e-4, 1e-3})
/* neon_bf16's BFDOT rounds to odd, twice per pair (test_bf16.c), so its sums cross more bf16
 * boundaries: measured under qemu, one shape of 300 past BF16_VS_REF_TOL (rnn_relu, 2 layers,
 * bidirectional: worst |err| 2.6e-4 at |want| 0.044). */
#define BFDOT_VS_REF_TOL ((golden_tol){5e-4, 5e-3})
/* int8 tables against the int8 reference (every_int8_table_matches_the_int8_reference...):
 * measured worst |err| 4.8e-7 on the 300 shapes, none crossing a quantization boundary; one
 * crossing moves a pre-activation by one input step times one weight (< 1e-3 here). */
#define INT8_VS_REF_TOL ((golden_tol){1e-3, 1e-3})

Test(kernels, every_isa_in_bf16_matches_the_bf16_reference_on_random_shapes) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = fast_tables(tables);
  cr_assert_gt(n_tables, 0, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  for (size_t i = 0; i < n_tables; i++) {
    unsigned seed = 2024;
    for (int n = 0; n < N_SHAPES; n++) {
      shape s = random_shape(&seed);
      char label[64];
      snprintf(label, sizeof label, "%s bf16", tables[i]->name);
      const recur_kernels *k = recur_kernels_for(tables[i], RECUR_PRECISION_BF16);
      int bfdot = strcmp(k->name, "neon_bf16") == 0;
      expect_like_reference(label, &s, tables[i], RECUR_PRECISION_BF16,
                            bfdot ? BFDOT_VS_REF_TOL : BF16_VS_REF_TOL, seed, NULL, NULL);
    }
  }
}

/* Precision p against fp32 (the reference, itself within 1e-5 of PyTorch) on the random
 * shapes, on the scalar table and tables[0..n): within tol, the bound the golden suite holds p
 * to against PyTorch. Prints the worst errors per table and cell. */
static void within_bound_of_fp32(recur_precision p, golden_tol tol, const recur_kernels *const *tables,
                                 size_t n_tables) {
  const char *name = recur_precision_name(p);
  for (size_t i = 0; i <= n_tables; i++) {
    const recur_kernels *k = i ? tables[i - 1] : &recur_kernels_scalar;
    golden_error by_cell[4] = {{0}};
    unsigned seed = 2024;
    for (int n = 0; n < N_SHAPES; n++) {
      shape s = random_shape(&seed);
      outputs want, got;
      run(&s, &recur_kernels_scalar, RECUR_PRECISION_FP32, NULL, seed, NULL, &want);
      run(&s, k, p, NULL, seed, NULL, &got);
      char label[64];
      snprintf(label, sizeof label, "%s %s vs fp32", k->name, name);
      expect_close(label, "y", &s, got.y, want.y, want.ny, tol);
      expect_close(label, "h_n", &s, got.hn, want.hn, want.nh, tol);
      if (want.nc) expect_close(label, "c_n", &s, got.cn, want.cn, want.nc, tol);
      golden_measure(got.y, want.y, want.ny, &by_cell[s.d.cell]);
      golden_measure(got.hn, want.hn, want.nh, &by_cell[s.d.cell]);
      golden_measure(got.cn, want.cn, want.nc, &by_cell[s.d.cell]);
      outputs_free(&want);
      outputs_free(&got);
    }
    for (int cell = 0; cell < 4; cell++)
      fprintf(stderr, "random %s %-15s %-9s worst |err| %.3g, worst |err|/|want| %.3g\n", name,
              k->name, recur_cell_name((recur_cell)cell), by_cell[cell].abs, by_cell[cell].rel);
  }
}

Test(kernels, bf16_stays_within_its_bound_of_fp32_on_random_shapes) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  within_bound_of_fp32(RECUR_PRECISION_BF16, GOLDEN_BF16_TOL, tables, fast_tables(tables));
}

/* int8 on every int8 table, the widening fallbacks included. */
Test(kernels, int8_stays_within_its_bound_of_fp32_on_random_shapes) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n = precision_tables(RECUR_PRECISION_INT8, tables);
  cr_assert_gt(n, 0, "no int8 table runs here");
  within_bound_of_fp32(RECUR_PRECISION_INT8, GOLDEN_INT8_TOL, tables, n);
}

/* int8: every int8 table against the scalar table's int8 reference steps. Both quantize the
 * same way and their integer sums agree, so they differ by fp32 against double arithmetic,
 * except where such a difference moves an h_{t-1} or o*tanh(c) across a quantization boundary:
 * then that input differs by one step (its row's largest |value| / 127) in the next sums.
 * Measured on these shapes: see INT8_VS_REF_TOL. */
Test(kernels, every_int8_table_matches_the_int8_reference_on_random_shapes) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = precision_tables(RECUR_PRECISION_INT8, tables);
  cr_assert_gt(n_tables, 0, "no int8 table runs here");
  for (size_t i = 0; i < n_tables; i++) {
    unsigned seed = 2024;
    golden_error worst = {0};
    for (int n = 0; n < N_SHAPES; n++) {
      shape s = random_shape(&seed);
      outputs want, got;
      run(&s, &recur_kernels_scalar, RECUR_PRECISION_INT8, NULL, seed, NULL, &want);
      run(&s, tables[i], RECUR_PRECISION_INT8, NULL, seed, NULL, &got);
      expect_close(tables[i]->name, "y", &s, got.y, want.y, want.ny, INT8_VS_REF_TOL);
      expect_close(tables[i]->name, "h_n", &s, got.hn, want.hn, want.nh, INT8_VS_REF_TOL);
      if (want.nc) expect_close(tables[i]->name, "c_n", &s, got.cn, want.cn, want.nc, INT8_VS_REF_TOL);
      golden_measure(got.y, want.y, want.ny, &worst);
      golden_measure(got.cn, want.cn, want.nc, &worst);
      outputs_free(&want);
      outputs_free(&got);
    }
    fprintf(stderr, "random int8 %-15s against the int8 reference: worst |err| %.3g, worst |err|/|want| %.3g\n",
            tables[i]->name, worst.abs, worst.rel);
  }
}

/* Hardening II: NaN stays NaN and +-Inf saturates like the reference, in every cell (relu
 * turned NaN into 0 in every table). Random shapes, each with one NaN, +Inf or -Inf in x, h0,
 * c0 or a weight; golden_mismatches wants NaN where the reference has NaN, Inf where it has
 * the same Inf. h0 and c0 are passed for every shape here, so that their poison lands. */
#define N_POISONED 40

/* In int8 a row of x, h0, c0 or a weight holding NaN or Inf quantizes to NaN (recur.h): every
 * int8 table as the int8 reference. */
static void keeps_nan_and_inf_like_the_reference(recur_precision precision,
                                                 const recur_kernels *const *tables,
                                                 size_t n_tables) {
  static const float values[] = {NAN, INFINITY, -INFINITY};
  size_t nan_cells[4] = {0};
  cr_assert_gt(n_tables, 0, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  for (size_t i = 0; i < n_tables; i++) {
    const recur_kernels *k = tables[i];
    unsigned seed = 7;
    for (int n = 0; n < N_POISONED; n++) {
      shape s = random_shape(&seed);
      s.h0 = 1;
      s.d.cell = (recur_cell)(n % 4); /* every cell as often */
      if (s.d.cell != RECUR_CELL_LSTM) s.d.proj_size = 0;
      for (poison_place place = POISON_X; place <= POISON_WEIGHT; place++) {
        if (place == POISON_C0 && s.d.cell != RECUR_CELL_LSTM) continue;
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
          poison pz = {place, values[v]};
          static const char *const names[] = {"", "x", "h0", "c0", "a weight"};
          char isa[64];
          snprintf(isa, sizeof isa, "%s, %g in %s:", k->name, (double)values[v], names[place]);
          expect_like_reference(isa, &s, k, precision, GOLDEN_FP32_TOL, seed, &pz,
                                &nan_cells[s.d.cell]);
        }
      }
    }
  }
  for (int cell = 0; cell < 4; cell++)
    cr_expect_gt(nan_cells[cell], 0, "%s: no NaN reached an output; the test tests nothing",
                 recur_cell_name((recur_cell)cell));
}

Test(kernels, every_isa_keeps_nan_and_inf_like_the_reference) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  keeps_nan_and_inf_like_the_reference(RECUR_PRECISION_FP32, tables, fast_tables(tables));
}

Test(kernels, every_int8_table_keeps_nan_and_inf_like_the_int8_reference) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  keeps_nan_and_inf_like_the_reference(RECUR_PRECISION_INT8, tables,
                                       precision_tables(RECUR_PRECISION_INT8, tables));
}

/* Every table that converts its input rows (bf16, int8) does so to its format's bytes: the
 * table's conversion is the format's, compiled (vectorised) for its ISA. Rows of every length
 * to 70, values of every magnitude, zeros, and a NaN or an Inf in some. */
Test(kernels, every_table_converts_input_rows_to_its_formats_bytes) {
#define CONVERTING_TABLE(name, isa, precision) &recur_kernels_##name,
  static const recur_kernels *const all[] = {RECUR_TABLES_BUILT(CONVERTING_TABLE)};
#undef CONVERTING_TABLE
  unsigned cpu = recur_cpu_detect(), seed = 11;
  float x[70];
  unsigned char got[4 + 72 * 4], want[sizeof got];
  size_t checked = 0;
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    const recur_kernels *k = all[i];
    if ((k->features & ~cpu) || !k->format->convert_a) continue;
    cr_assert_not_null(k->convert_a, "%s has no conversion", k->name);
    for (int64_t K = 1; K <= 70; K++)
      for (int kind = 0; kind < 4; kind++) {
        randnet_fill(x, (size_t)K, &seed);
        for (int64_t j = 0; j < K; j++) x[j] = ldexpf(x[j], (int)(j * 13 % 61) - 30);
        if (kind == 1) memset(x, 0, sizeof x);
        if (kind == 2) x[K / 2] = NAN;
        if (kind == 3) x[K - 1] = -INFINITY;
        size_t n = recur_a_row_bytes(k->format, K);
        memset(got, 0xa5, sizeof got), memset(want, 0x5a, sizeof want);
        k->convert_a(got, x, K);
        k->format->convert_a(want, x, K);
        cr_assert_arr_eq(got, want, n, "%s K %lld kind %d", k->name, (long long)K, kind);
        checked++;
      }
    tables_note(k);
  }
  cr_expect_gt(checked, 0, "no converting table runs here");
}

/* Tile sizes from the smallest blocks to the largest; each must give the same bits. */
static const recur_tune_params tilings[] = {
  {{.nv = 1, .nv_proj = 1, .kc = 1, .kc_input = 1}, {.mr = 1, .chunk_rows = 1}},
  {{.nv = 1, .nv_proj = 2, .kc = 5, .kc_input = 7}, {.mr = 3, .chunk_rows = 7}},
  {{.nv = 2, .nv_proj = 1, .kc = 16, .kc_input = 3}, {.mr = 2, .chunk_rows = 20}},
  {{.nv = 4, .nv_proj = 4, .kc = 1000, .kc_input = 1000}, {.mr = 8, .chunk_rows = 1000}},
  {{.nv = 2, .nv_proj = 8, .kc = 0, .kc_input = 0}, {.mr = 0, .chunk_rows = 64}},
};

/* The shapes the tilings run on: every cell, stacked, a projection, odd sizes. */
static const shape tiling_shapes[] = {
  {{RECUR_CELL_LSTM, 37, 45, 2, 1, 0, 1, 0}, 11, 7, 0, 1, 1},
  {{RECUR_CELL_LSTM, 20, 45, 2, 1, 21, 1, 0}, 9, 5, 1, 1, 1},
  {{RECUR_CELL_GRU, 33, 50, 2, 1, 0, 1, 0}, 10, 6, 0, 1, 1},
  {{RECUR_CELL_RNN_TANH, 17, 40, 1, 1, 0, 1, 0}, 12, 4, 1, 0, 1},
  {{RECUR_CELL_RNN_RELU, 17, 19, 2, 0, 0, 0, 0}, 12, 9, 0, 1, 0},
};
#define N_TILING_SHAPES (sizeof tiling_shapes / sizeof *tiling_shapes)

Test(kernels, tile_sizes_never_change_a_bit_in_any_precision) {
  const shape *shapes = tiling_shapes;
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = fast_tables(tables);
  cr_assert_gt(n_tables, 0, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  for (size_t i = 0; i < 3 * n_tables; i++) {
    const recur_kernels *k = tables[i / 3];
    recur_precision precision = (recur_precision)(i % 3);
    const char *name = recur_precision_name(precision);
    for (size_t si = 0; si < N_TILING_SHAPES; si++) {
      outputs base;
      run(&shapes[si], k, precision, NULL, 77, NULL, &base);
      for (size_t ti = 0; ti < sizeof tilings / sizeof *tilings; ti++) {
        recur_tune_params t = tilings[ti];
        recur_cell cell = shapes[si].d.cell;
        if (cell != RECUR_CELL_RNN_TANH && cell != RECUR_CELL_RNN_RELU && t.pack.nv > 4) t.pack.nv = 4;
        if (t.call.mr * (int)recur_cell_gates(cell) * t.pack.nv > RECUR_GNV_MAX * RECUR_MR_MAX) t.call.mr = 1;
        outputs o;
        run(&shapes[si], k, precision, &t, 77, NULL, &o);
        cr_expect_arr_eq(o.y, base.y, base.ny * sizeof(float), "%s %s shape %zu tiling %zu: y", k->name, name, si, ti);
        cr_expect_arr_eq(o.hn, base.hn, base.nh * sizeof(float), "%s %s shape %zu tiling %zu: h_n", k->name, name, si, ti);
        if (base.nc)
          cr_expect_arr_eq(o.cn, base.cn, base.nc * sizeof(float), "%s %s shape %zu tiling %zu: c_n", k->name, name, si, ti);
        outputs_free(&o);
      }
      outputs_free(&base);
    }
  }
}

/* T one-step calls of a stream of s->B rows on net, on `threads` threads, alternating the
 * order in which they read the weights (drivers/recurrence.c), from a random state: y and the
 * final state must be one recur_forward's bits. */
static void expect_stream_like_forward(const shape *s, const recur_net *net, int threads, const char *what) {
  int64_t Hout = s->d.proj_size ? s->d.proj_size : s->d.hidden_size, L = s->d.num_layers;
  size_t nx = (size_t)(s->B * s->d.input_size), ny = (size_t)(s->B * Hout);
  size_t nh = (size_t)(L * s->B * Hout), nc = s->d.cell == RECUR_CELL_LSTM ? (size_t)(L * s->B * s->d.hidden_size) : 0;
  float *x = malloc((size_t)s->T * nx * sizeof *x), *want = malloc((size_t)s->T * ny * sizeof *want);
  float *got = malloc((size_t)s->T * ny * sizeof *got), *st = malloc(3 * (nh + nc) * sizeof *st);
  float *h0 = st, *c0 = h0 + nh, *hn = c0 + nc, *cn = hn + nh, *hs = cn + nc, *cs = hs + nh;
  unsigned seed = 92;
  randnet_fill(x, (size_t)s->T * nx, &seed);
  randnet_fill(h0, nh + nc, &seed);
  poison_outputs(want, (size_t)s->T * ny, WANT_POISON), poison_outputs(hn, nh + nc, WANT_POISON);
  poison_outputs(got, (size_t)s->T * ny, OUT_POISON), poison_outputs(hs, nh + nc, OUT_POISON);
  recur_forward_args a = {.seq_len = s->T, .batch = s->B, .input_size = s->d.input_size, .x = x,
                          .h0 = h0, .c0 = nc ? c0 : NULL, .y = want, .h_n = hn, .c_n = nc ? cn : NULL};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  recur_stream *stream;
  cr_assert_eq(recur_stream_create_as(&stream, net, s->B, threads, 1), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_stream_set_state(stream, h0, nc ? c0 : NULL), RECUR_OK);
  for (int64_t t = 0; t < s->T; t++)
    cr_assert_eq(recur_stream_step(stream, x + (size_t)t * nx, 1, got + (size_t)t * ny), RECUR_OK);
  cr_assert_eq(recur_stream_get_state(stream, hs, nc ? cs : NULL), RECUR_OK);
  cr_expect_arr_eq(got, want, (size_t)s->T * ny * sizeof(float), "%s: y", what);
  cr_expect_arr_eq(hs, hn, nh * sizeof(float), "%s: h", what);
  if (nc) cr_expect_arr_eq(cs, cn, nc * sizeof(float), "%s: c", what);
  recur_stream_free(stream);
  free(x), free(want), free(got), free(st);
}

/* Every table and precision, every tiling (K blocks from 1: parked sums), 1 and 2 threads, on
 * the tiling shapes made unidirectional (streams are). */
Test(kernels, alternating_stream_steps_give_forward_bits_on_every_tiling) {
  shape shapes[N_TILING_SHAPES];
  for (size_t si = 0; si < N_TILING_SHAPES; si++) shapes[si] = tiling_shapes[si], shapes[si].d.bidirectional = 0;
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = fast_tables(tables);
  cr_assert_gt(n_tables, 0, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  for (size_t si = 0; si < N_TILING_SHAPES; si++) {
    randnet_tensors w;
    randnet_make(&shapes[si].d, 91 + (unsigned)si, &w);
    for (size_t i = 0; i < 2 * n_tables; i++)
      for (size_t ti = 0; ti < sizeof tilings / sizeof *tilings; ti++) {
        recur_packing pack = tilings[ti].pack;
        recur_cell cell = shapes[si].d.cell;
        if (cell != RECUR_CELL_RNN_TANH && cell != RECUR_CELL_RNN_RELU && pack.nv > 4) pack.nv = 4;
        recur_net *net;
        recur_net_options options = {.precision = i % 2 ? RECUR_PRECISION_BF16 : RECUR_PRECISION_FP32};
        cr_assert_eq(recur_net_create_for(&net, &shapes[si].d, w.t, w.n, &options, tables[i / 2], &pack),
                     RECUR_OK, "%s", recur_last_error());
        for (int threads = 1; threads <= 2; threads++) {
          char what[96];
          snprintf(what, sizeof what, "%s %s shape %zu tiling %zu, %d threads", tables[i / 2]->name,
                   i % 2 ? "bf16" : "fp32", si, ti, threads);
          expect_stream_like_forward(&shapes[si], net, threads, what);
        }
        recur_net_free(net);
      }
    randnet_free(&w);
  }
}

/* The golden PyTorch suite under every table runs in test_golden (RECUR_ISA per meson test);
 * here: a table the CPU lacks is refused with a message naming what the CPU has. */
Test(kernels, unavailable_isa_names_the_cpu) {
#if defined(__x86_64__)
  cr_expect_eq(recur_isa_force("neon"), RECUR_ERR_ISA_UNAVAILABLE);
  cr_expect(strstr(recur_last_error(), "this CPU has"), "%s", recur_last_error());
#else
  cr_expect_eq(recur_isa_force("avx2"), RECUR_ERR_ISA_UNAVAILABLE);
#endif
  cr_expect_eq(recur_isa_force("sse9"), RECUR_ERR_INVALID_ARGUMENT);
}

/* kernels/tables.h is the one list of tables on the C side; meson.build compiles them from its
 * own list (kernel_tables). The two name the same tables, in the same order, scalar aside. */
Test(kernels, meson_builds_the_tables_of_tables_h) {
  char built[512] = "", listed[512] = "";
  char spec[] = RECUR_TEST_ISA_FLAGS;
  for (char *save = NULL, *entry = strtok_r(spec, ";", &save); entry;
       entry = strtok_r(NULL, ";", &save))
    snprintf(built + strlen(built), sizeof built - strlen(built), "%.*s ",
             (int)strcspn(entry, ":"), entry);
#define LISTED(name, isa, precision)                                                      \
  if (strcmp(#name, "scalar") != 0)                                                       \
    snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s ", #name);
  RECUR_TABLES_BUILT(LISTED)
#undef LISTED
  cr_expect_str_eq(built, listed, "meson.build's kernel_tables and kernels/tables.h differ");
}

/* Every table of the list: its name, ISA and precision are the list's, its format is its
 * precision's descriptor, and dispatch gives it, or a better one of its ISA and precision,
 * for that precision where the CPU runs it. */
Test(kernels, each_table_has_its_precision) {
  unsigned cpu = recur_cpu_detect();
  int seen = 0;
#define CHECK_TABLE(tbl, isa_, p)                                                           \
  do {                                                                                      \
    const recur_kernels *k = &recur_kernels_##tbl;                                         \
    const recur_precision_desc *d = recur_precision_get(RECUR_PRECISION_##p);               \
    cr_expect_str_eq(k->name, #tbl);                                                       \
    cr_expect_str_eq(k->isa, #isa_);                                                        \
    cr_expect_eq(k->format, d, "%s: format %s, listed as %s", k->name, k->format->name,     \
                 d->name);                                                                  \
    cr_expect(recur_tool_isa_known(#isa_));                                                 \
    const recur_kernels *base = NULL;                                                       \
    if ((k->features & ~cpu) == 0 && recur_kernels_find(#isa_, &base) == RECUR_OK) {         \
      const recur_kernels *got = recur_kernels_for(base, RECUR_PRECISION_##p);              \
      cr_expect(got && (got == k || strcmp(k->name, "scalar") == 0 ||                        \
                        (got->format == d && strcmp(got->isa, k->isa) == 0)),              \
                "%s: dispatch gives %s", k->name, got ? got->name : "none");                \
      seen++;                                                                               \
    }                                                                                       \
  } while (0);
  RECUR_TABLES_BUILT(CHECK_TABLE)
#undef CHECK_TABLE
  cr_expect_geq(seen, 1);
}

/* A table compiled with -mX lets the compiler emit X's instructions anywhere in it, so it must
 * require feature X, or a CPU (or VM) without X that has the rest gets SIGILL: the AVX-512
 * table, built with -mavx512bw -mavx512vl, once required only F, DQ and FMA. Every -m flag of
 * meson.build's isa_flags must name a feature recur detects (recur_cpu_feature_names) that
 * its table requires; tuning flags with a value (-mtune=...) enable no instructions. */
Test(kernels, tables_require_their_compile_flags) {
  char spec[] = RECUR_TEST_ISA_FLAGS; /* "avx512:-mavx512f -mfma;avx2:-mavx2 -mfma" */
  int checked = 0;
  for (char *save = NULL, *entry = strtok_r(spec, ";", &save); entry;
       entry = strtok_r(NULL, ";", &save)) {
    char *flags = strchr(entry, ':');
    cr_assert(flags, "RECUR_TEST_ISA_FLAGS entry '%s' has no ':'", entry);
    *flags++ = 0;
    const recur_kernels *k = built_table(entry);
    cr_assert(k, "meson.build builds a table '%s' that tests/tables.c does not know", entry);
    cr_assert(k->features, "table %s requires no feature", k->name);
    char names[256], want[64];
    snprintf(names, sizeof names, " ");
    recur_cpu_feature_names(k->features, names + 1, sizeof names - 2);
    strcat(names, " ");
    for (char *save2 = NULL, *flag = strtok_r(flags, " ", &save2); flag;
         flag = strtok_r(NULL, " ", &save2)) {
      if (strncmp(flag, "-march=", 7) == 0) { /* its +extensions: -march=armv8.2-a+bf16 */
        char *ext = strchr(flag, '+');
        for (char *save3 = NULL, *e = ext ? strtok_r(ext, "+", &save3) : NULL; e;
             e = strtok_r(NULL, "+", &save3)) {
          snprintf(want, sizeof want, " %s ", e);
          cr_expect(strstr(names, want), "table %s is compiled with +%s but requires only%s",
                    k->name, e, names);
          checked++;
        }
        continue;
      }
      if (strchr(flag, '=')) continue;
      cr_assert(strncmp(flag, "-m", 2) == 0, "table %s: unexpected flag %s", k->name, flag);
      snprintf(want, sizeof want, " %s ", flag + 2);
      cr_expect(strstr(names, want), "table %s is compiled with %s but requires only%s", k->name,
                flag, names);
      checked++;
    }
  }
#if defined(__x86_64__)
  cr_expect_geq(checked, 7, "the x86 tables' flags were not all seen");
#elif defined(__aarch64__)
  cr_expect_geq(checked, 1, "neon_bf16's +bf16 was not seen");
#endif
}

/* %peak is measured against the instruction a precision's dot product is made of on a table
 * (recur_isa_peak_gflops_at): for fp32 the FMA; for bf16 the ISA's pair dot product where the
 * CPU has it (vdpbf16ps, BFDOT: two bf16 products per fp32 lane, at the FMA's rate on Zen 5:
 * 549 against 275 GFLOP/s), else the fp32 FMA its fallback widens to. Against the FMA's peak a
 * bf16 row once read 166%. */
Test(kernels, each_precision_has_the_peak_of_its_instruction) {
  const recur_kernels *fast[FAST_TABLES_MAX];
  size_t n = fast_tables(fast);
  cr_assert_gt(n, 0);
  unsigned cpu = recur_cpu_detect();
  for (size_t i = 0; i < n; i++) {
    const recur_kernels *k = fast[i], *bf16 = recur_kernels_for(k, RECUR_PRECISION_BF16);
    cr_assert(bf16, "%s has no bf16 table", k->name);
    int neon = (k->features & RECUR_CPU_NEON) != 0;
    int dot = neon ? (cpu & RECUR_CPU_BF16) != 0
                   : (k->features & RECUR_CPU_AVX512F) && (cpu & RECUR_CPU_AVX512BF16);
    const char *table, *instruction;
    cr_assert_eq(recur_tool_peak_instruction(k->name, RECUR_PRECISION_FP32, &table, &instruction),
                 RECUR_OK, "%s", recur_last_error());
    cr_expect_str_eq(table, k->name);
    cr_expect_str_eq(instruction, "fp32 FMA");
    cr_assert_eq(recur_tool_peak_instruction(k->name, RECUR_PRECISION_BF16, &table, &instruction),
                 RECUR_OK, "%s", recur_last_error());
    char want[32];
    snprintf(want, sizeof want, "%s_bf16%s", k->isa, dot ? "" : "fma");
    cr_expect_str_eq(table, want, "the fastest bf16 table of %s here", k->name);
    cr_expect_str_eq(table, bf16->name);
    cr_expect_str_eq(instruction, !dot ? "fp32 FMA" : neon ? "BFDOT" : "vdpbf16ps");
    double fp32_gflops, bf16_gflops;
    cr_assert_eq(recur_isa_peak_gflops_at(k->name, RECUR_PRECISION_FP32, 0.1, &fp32_gflops),
                 RECUR_OK);
    cr_assert_eq(recur_isa_peak_gflops_at(k->name, RECUR_PRECISION_BF16, 0.1, &bf16_gflops),
                 RECUR_OK);
    /* Measured, not judged here: speed is the benches' (bench/README.md); under qemu or load
     * any ratio comes out. That the instruction is the right one is checked above. */
    cr_expect(fp32_gflops > 0 && bf16_gflops > 0, "%s: bf16 %.1f, fp32 %.1f GFLOP/s", k->name,
              bf16_gflops, fp32_gflops);
  }
  const char *table = "", *instruction = "";
  double gflops = -1;
  for (int p = 0; p < 2; p++) {
    cr_expect_eq(recur_isa_peak_gflops_at("scalar", (recur_precision)p, 0.01, &gflops),
                 RECUR_ERR_UNSUPPORTED);
    cr_expect_eq(recur_tool_peak_instruction("scalar", (recur_precision)p, &table, &instruction),
                 RECUR_ERR_UNSUPPORTED);
    cr_expect(!table && !instruction);
  }
  cr_expect_eq(recur_isa_peak_gflops_at(NULL, (recur_precision)7, 0.01, &gflops),
               RECUR_ERR_INVALID_ARGUMENT);
  cr_expect(strstr(recur_last_error(), "precision is 7"), "%s", recur_last_error());
  cr_expect_eq(recur_isa_peak_gflops_at("sse9", RECUR_PRECISION_BF16, 0.01, &gflops),
               RECUR_ERR_INVALID_ARGUMENT);
  cr_expect_eq(recur_isa_peak_gflops_at(NULL, RECUR_PRECISION_BF16, 0.01, NULL),
               RECUR_ERR_NULL_POINTER);
  cr_expect_eq(gflops, -1, "a failed call wrote its result");
}
