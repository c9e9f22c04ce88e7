/* The golden suite: recur against PyTorch's own outputs (tests/gen_golden.py), on every kernel
 * table this CPU runs, the bf16 ones the library would not pick by itself included. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "internal.h"
#include "net.h"
#include "poison.h"
#include "safetensors.h"
#include "tables.h"

#define MAX_CASES 512

static golden_case cases[MAX_CASES];
static int n_cases;

static void load_manifest(void) {
  n_cases = golden_read_manifest(cases, MAX_CASES);
  cr_assert_gt(n_cases, 0, "no golden manifest: set RECUR_TEST_DATA to tests/data");
}

/* How a case runs: its precision, the tolerance against PyTorch's fp32 outputs, where the
 * worst errors are gathered (NULL: not), and whether the call names its layout (batch_first or
 * time_first) or takes the one the file records (the exporter writes PyTorch's flag). */
typedef struct run_mode {
  recur_precision precision;
  golden_tol tol;
  golden_error *error;
  int layout_flag;
} run_mode;

static const run_mode fp32_mode = {RECUR_PRECISION_FP32, GOLDEN_FP32_TOL, NULL, 0};

static void expect_close(const golden_case *c, const char *isa, const run_mode *m,
                         const char *what, const float *got, const recur_array *want) {
  size_t worst = 0, bad = golden_mismatches_within(got, want->data, want->count, m->tol, &worst);
  cr_expect_eq(bad, 0, "%s [%s, %s]: %s: %zu of %zu elements off; worst [%zu] got %.9g want %.9g",
               c->name, isa, recur_precision_name(m->precision), what, bad, want->count, worst,
               (double)got[worst], (double)((float *)want->data)[worst]);
  if (m->error) golden_measure(got, want->data, want->count, m->error);
}

/* The network of case c (its file at path) on table k, where the loader would put it on
 * another (a bf16 table that is not its ISA's best): the file's tensors as fp32, the module
 * prefix and its dot taken off their names, through recur_net_create_for. */
static recur_net *create_on(const golden_case *c, const char *path, const recur_desc *d,
                            const recur_net_options *options, const recur_kernels *k) {
  recur_file_bytes bytes;
  recur_st_file file;
  cr_assert_eq(recur_read_file(path, &bytes), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_st_parse(bytes.data, bytes.size, &file), RECUR_OK, "%s", recur_last_error());
  size_t count = 0, n = 0, prefix = c->prefix[0] ? strlen(c->prefix) + 1 : 0;
  for (size_t i = 0; i < file.n_tensors; i++) count += file.tensors[i].count;
  recur_tensor *t = calloc(file.n_tensors, sizeof *t);
  float *data = malloc((count ? count : 1) * sizeof *data), *at = data;
  cr_assert(t && data);
  for (size_t i = 0; i < file.n_tensors; i++) {
    const recur_st_tensor *s = &file.tensors[i];
    if (prefix && (strncmp(s->name, c->prefix, prefix - 1) || s->name[prefix - 1] != '.')) continue;
    cr_assert_eq(recur_st_to_f32(s, at), RECUR_OK, "%s", recur_last_error());
    t[n++] = (recur_tensor){s->name + prefix, at, s->ndim, {s->shape[0], s->shape[1]}};
    at += s->count;
  }
  recur_net *net;
  cr_assert_eq(recur_net_create_for(&net, d, t, n, options, k, NULL), RECUR_OK, "%s: %s", c->name,
               recur_last_error());
  free(t), free(data);
  recur_st_free(&file);
  recur_free_file(&bytes);
  return net;
}

/* Runs one case through the API on table k and compares y, h_n and c_n with PyTorch's. */
static void run_case(const golden_case *c, const recur_kernels *k, const run_mode *m) {
  const char *isa = k->name;
  char path[512];
  golden_path(path, sizeof path, c->name, ".safetensors");
  cr_assert_eq(recur_isa_force(k->isa), RECUR_OK, "%s", recur_last_error());
  recur_net *net = NULL;
  recur_net_options options = {.precision = m->precision};
  recur_status st = recur_net_load_ex(&net, path, c->prefix[0] ? c->prefix : NULL, &options);
  cr_assert_eq(st, RECUR_OK, "%s: load: %s", c->name, recur_last_error());
  recur_desc d;
  recur_net_describe(net, &d);
  if (net->kernels != k) {
    recur_net_free(net);
    net = create_on(c, path, &d, &options, k);
  }
  cr_assert_eq(net->kernels, k, "%s: on %s, not %s", c->name, net->kernels->name, isa);
  tables_note(k);
  cr_expect_str_eq(recur_cell_name(d.cell), c->cell, "%s: cell", c->name);
  cr_expect_eq(d.num_layers, c->layers, "%s: layers", c->name);
  cr_expect_eq(d.bidirectional, c->bidir, "%s: bidirectional", c->name);
  cr_expect_eq(d.batch_first, c->batch_first, "%s: batch_first", c->name);

  recur_array *x = golden_load(c->name, ".x.npy"), *y = golden_load(c->name, ".y.npy");
  recur_array *hn = golden_load(c->name, ".hn.npy"), *cn = golden_load(c->name, ".cn.npy");
  recur_array *h0 = golden_load(c->name, ".h0.npy"), *c0 = golden_load(c->name, ".c0.npy");
  recur_array *len = golden_load(c->name, ".len.npy");
  cr_assert(x && y && hn, "%s: missing x, y or hn", c->name);
  cr_assert_eq(!!h0, c->h0, "%s: h0 file vs manifest", c->name);
  cr_assert_eq(!!len, c->lengths, "%s: lengths file vs manifest", c->name);
  cr_assert(!len || len->dtype == RECUR_DTYPE_I64, "%s: lengths must be int64", c->name);

  float *got_y = malloc(y->count * sizeof(float)), *got_hn = malloc(hn->count * sizeof(float));
  float *got_cn = cn ? malloc(cn->count * sizeof(float)) : NULL;
  cr_assert(got_y && got_hn && (!cn || got_cn), "%s: out of memory", c->name);
  poison_outputs(got_y, y->count, OUT_POISON);
  poison_outputs(got_hn, hn->count, OUT_POISON);
  poison_outputs(got_cn, cn ? cn->count : 0, OUT_POISON);
  recur_forward_args a = {
    .seq_len = c->T, .batch = c->B, .input_size = c->I,
    .batch_first = m->layout_flag && c->batch_first, .time_first = m->layout_flag && !c->batch_first,
    .unbatched = c->unbatched, .x = x->data, .lengths = len ? len->data : NULL,
    .h0 = h0 ? h0->data : NULL, .c0 = c0 ? c0->data : NULL, .y = got_y, .h_n = got_hn, .c_n = got_cn,
  };
  st = recur_forward(net, &a);
  cr_assert_eq(st, RECUR_OK, "%s: forward: %s", c->name, recur_last_error());
  expect_close(c, isa, m, "y", got_y, y);
  expect_close(c, isa, m, "h_n", got_hn, hn);
  if (cn) expect_close(c, isa, m, "c_n", got_cn, cn);

  free(got_y); free(got_hn); free(got_cn);
  recur_array *arrays[] = {x, y, hn, cn, h0, c0, len};
  for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) recur_array_free(arrays[i]);
  recur_net_free(net);
}

TestSuite(golden, .fini = tables_print);

/* Every case under every fp32 kernel table this CPU runs (recur_isa_list: "avx512 avx2 scalar"),
 * in the layout its file records (no flag in the call). */
Test(golden, every_case_matches_pytorch_under_every_isa) {
  load_manifest();
  const recur_kernels *tables[FAST_TABLES_MAX + 1] = {&recur_kernels_scalar};
  size_t n_tables = 1 + fast_tables(tables + 1);
  for (size_t t = 0; t < n_tables; t++)
    for (int i = 0; i < n_cases; i++) run_case(&cases[i], tables[t], &fp32_mode);
  cr_expect_geq(n_tables, 2, "only '%s' usable: the SIMD tables went untested", recur_isa_list());
}

/* The same cases in precision p against PyTorch's fp32 outputs, within golden_tol_of(p) (the
 * bound docs/precision.md states), each call naming its layout, on every table of p this CPU runs
 * (int8: the finite cases; a row holding NaN or Inf quantizes to NaN, recur.h, which
 * test_kernels checks on every table against the reference):
 * each ISA's best, which recur_net_load_ex picks, and the fallbacks (<isa>_bf16fma,
 * <isa>_int8madd where the CPU has the native instruction), which only tests pick; prints the
 * worst errors per table and cell. */
static void every_case_within(recur_precision p) {
  load_manifest();
  const recur_kernels *tables[FAST_TABLES_MAX + 1] = {&recur_kernels_scalar};
  size_t n_tables = 1 + precision_tables(p, tables + 1);
  cr_expect_geq(n_tables, 2, "no %s table usable here: only the reference ran", recur_precision_name(p));
  for (size_t t = 0; t < n_tables; t++) {
    const char *isa = tables[t]->name;
    golden_error by_cell[4] = {{0}};
    for (int i = 0; i < n_cases; i++) {
      if (p == RECUR_PRECISION_INT8 && cases[i].nonfinite[0]) continue;
      recur_cell cell = RECUR_CELL_RNN_TANH;
      while (strcmp(recur_cell_name(cell), cases[i].cell)) cell++;
      run_mode m = {p, golden_tol_of(p), &by_cell[cell], 1};
      run_case(&cases[i], tables[t], &m);
    }
    for (int cell = 0; cell < 4; cell++)
      fprintf(stderr, "golden %s %-15s %-9s worst |err| %.3g, worst |err|/|want| %.3g\n",
              recur_precision_name(p), isa, recur_cell_name((recur_cell)cell), by_cell[cell].abs,
              by_cell[cell].rel);
  }
}

Test(golden, every_case_in_bf16_stays_within_its_bound_under_every_isa) {
  every_case_within(RECUR_PRECISION_BF16);
}

Test(golden, every_case_in_int8_stays_within_its_bound_under_every_isa) {
  every_case_within(RECUR_PRECISION_INT8);
}

static int is_odd(long v) { return v == 1 || v == 3 || v == 7 || v == 33; }

/* The suite must keep covering issue #2's point 1: a regenerated manifest that drops a
 * combination fails here. */
Test(golden, manifest_covers_every_feature) {
  load_manifest();
  static const char *const cells[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
  int combo[4][2][4] = {{{0}}}, lengths[4] = {0};
  /* Hardening II: NaN and +-Inf per cell in x, h0, a weight (and c0 for LSTM). */
  static const char *const places[] = {"x:", "h0:", "weight_", "c0:"};
  int nonfinite[4][4] = {{0}}, nan[4] = {0}, inf[4] = {0};
  int proj = 0, batch_first = 0, unbatched = 0, h0 = 0, c0 = 0, long_seq = 0, t1 = 0, b1 = 0, odd = 0;
  for (int i = 0; i < n_cases; i++) {
    const golden_case *c = &cases[i];
    int ci = 0;
    while (ci < 4 && strcmp(c->cell, cells[ci]) != 0) ci++;
    cr_assert_lt(ci, 4, "%s: unknown cell %s", c->name, c->cell);
    if (c->layers >= 1 && c->layers <= 3) combo[ci][c->bidir][c->layers]++;
    lengths[ci] += c->lengths;
    for (int p = 0; p < 4; p++) nonfinite[ci][p] += strstr(c->nonfinite, places[p]) != NULL;
    nan[ci] += strstr(c->nonfinite, "nan") != NULL;
    inf[ci] += strstr(c->nonfinite, "inf") != NULL;
    proj += c->P > 0 && c->layers > 1;
    batch_first += c->batch_first;
    unbatched += c->unbatched;
    h0 += c->h0;
    c0 += c->c0;
    long_seq += c->T >= 200;
    t1 += c->T == 1;
    b1 += c->B == 1 && !c->unbatched;
    odd += is_odd(c->I) && is_odd(c->H);
  }
  for (int ci = 0; ci < 4; ci++) {
    for (int bidir = 0; bidir < 2; bidir++)
      for (int layers = 1; layers <= 3; layers++)
        cr_expect_gt(combo[ci][bidir][layers], 0, "no case for %s bidir=%d layers=%d", cells[ci], bidir, layers);
    cr_expect_gt(lengths[ci], 0, "no lengths case for %s", cells[ci]);
    for (int p = 0; p < (strcmp(cells[ci], "lstm") == 0 ? 4 : 3); p++)
      cr_expect_gt(nonfinite[ci][p], 0, "no %s case with a non-finite %s", cells[ci], places[p]);
    cr_expect_gt(nan[ci], 0, "no %s case with NaN", cells[ci]);
    cr_expect_gt(inf[ci], 0, "no %s case with Inf", cells[ci]);
  }
  cr_expect_gt(proj, 0, "no multi-layer LSTM projection case");
  cr_expect_gt(batch_first, 0, "no batch_first case");
  cr_expect_gt(unbatched, 0, "no unbatched case");
  cr_expect_gt(h0, 0, "no h0 case");
  cr_expect_gt(c0, 0, "no c0 case");
  cr_expect_gt(long_seq, 0, "no sequence of 200+ steps");
  cr_expect_gt(t1, 0, "no T=1 case");
  cr_expect_gt(b1, 0, "no B=1 case");
  cr_expect_gt(odd, 0, "no case with odd I and H");
}
