/* End-to-end tests of the `recur` executable that succeed: golden runs against PyTorch, the
 * summary on stdout, help, version and info. The failures are in test_cli_errors.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "precision.h"
#include "recur.h"
#include "recur_tool.h"

#define MAX_CASES 512

TestSuite(cli, .init = cli_setup, .fini = cli_teardown);

static int is_cell(const golden_case *c, const char *cell) { return strcmp(c->cell, cell) == 0; }

#define FITS(c, cond) cr_assert(cond, "golden case %s no longer fits this test", (c)->name)

Test(cli, golden_lstm_h0_c0_cn) {
  const golden_case *c = cli_golden_case("lstm_h0c0_bi_l2");
  FITS(c, is_cell(c, "lstm") && c->h0 && c->c0);
  cli_run_golden(c, NULL);
}

Test(cli, golden_gru_lengths) {
  const golden_case *c = cli_golden_case("gru_len_bi_h0");
  FITS(c, is_cell(c, "gru") && c->lengths);
  cli_run_golden(c, NULL);
}

/* A batch-first file's layout is taken without a flag (golden_every_case), and may be named. */
Test(cli, golden_batch_first) {
  const golden_case *c = cli_golden_case("gru_bf_bi");
  FITS(c, c->batch_first);
  cli_run_golden(c, "--batch-first");
}

Test(cli, golden_time_first) {
  const golden_case *c = cli_golden_case("lstm_h0c0_bi_l2");
  FITS(c, !c->batch_first);
  cli_run_golden(c, "--time-first");
}

/* a, (n0, n1, n2), with its first two axes swapped: out is (n1, n0, n2). */
static void swap_axes01(const float *a, long n0, long n1, long n2, float *out) {
  for (long i = 0; i < n0; i++)
    for (long j = 0; j < n1; j++)
      memcpy(out + (j * n0 + i) * n2, a + (i * n1 + j) * n2, (size_t)n2 * sizeof *out);
}

/* --time-first overrides the layout the file records: a batch-first model's input given as
 * (T, B, I) gives PyTorch's y as (T, B, D*H_out), and the same h_n. */
Test(cli, time_first_overrides_the_files_layout) {
  const golden_case *c = cli_golden_case("gru_bf_bi");
  FITS(c, c->batch_first && !c->h0 && !c->lengths);
  recur_array *x = golden_load(c->name, ".x.npy"), *want = golden_load(c->name, ".y.npy");
  cr_assert(x && want && want->ndim == 3);
  long width = (long)want->shape[2];
  float *x_tb = malloc(x->count * sizeof(float)), *want_tb = malloc(want->count * sizeof(float));
  cr_assert(x_tb && want_tb);
  swap_axes01(x->data, c->B, c->T, c->I, x_tb);
  swap_axes01(want->data, c->B, c->T, width, want_tb);
  char model[CLI_PATH_LEN], xpath[CLI_PATH_LEN], y[CLI_PATH_LEN], hn[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  cli_tmp_path(xpath, "x_tb.npy");
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  cli_write_npy(xpath, "<f4", 3, (long[]){c->T, c->B, c->I}, x_tb, x->count * sizeof(float));
  cli_run("run", model, xpath, "--time-first", "-o", y, "--hn", hn, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  recur_array *got = NULL;
  cr_assert_eq(recur_npy_load(y, &got), RECUR_OK, "%s", recur_last_error());
  cr_assert(got->ndim == 3 && got->shape[0] == c->T && got->shape[1] == c->B &&
            got->shape[2] == width, "y is not (T, B, %ld)", width);
  size_t worst = 0;
  cr_expect_eq(golden_mismatches(got->data, want_tb, want->count, &worst), 0,
               "y [%zu]: got %.9g want %.9g", worst, (double)((float *)got->data)[worst],
               (double)want_tb[worst]);
  cli_expect_golden(c, ".hn.npy", hn);
  recur_array_free(got);
  recur_array_free(x);
  recur_array_free(want);
  free(x_tb);
  free(want_tb);
}

Test(cli, golden_unbatched) {
  const golden_case *c = cli_golden_case("lstm_unbatched_bi_l2_h0c0");
  FITS(c, c->unbatched && c->h0 && c->c0);
  cli_run_golden(c, NULL);
}

Test(cli, golden_prefix) {
  const golden_case *c = cli_golden_case("prefix_gru_decoder");
  FITS(c, c->prefix[0]);
  cli_run_golden(c, NULL);
}

Test(cli, golden_threads_and_isa) {
  const golden_case *c = cli_golden_case("lstm_bf_len_bi_h0c0");
  FITS(c, c->batch_first && c->lengths && c->h0 && c->c0);
  cli_run_golden(c, "--threads=2");
  cli_run_golden(c, "--isa=scalar");
}

Test(cli, golden_precision) {
  const golden_case *c = cli_golden_case("lstm_bf_len_bi_h0c0");
  cli_run_golden(c, "--precision=bf16");
  cli_run_golden(c, "--precision=int8");
  cli_run_golden(c, "--precision=fp32");
}

/* Every case in the layout its file records, no flag given. */
Test(cli, golden_every_case) {
  static golden_case cases[MAX_CASES];
  int n = golden_read_manifest(cases, MAX_CASES);
  cr_assert_gt(n, 0, "no golden manifest: set RECUR_TEST_DATA to tests/data");
  for (int i = 0; i < n; i++) cli_run_golden(&cases[i], NULL);
}

Test(cli, golden_int32_lengths) {
  const golden_case *c = cli_golden_case("gru_len_bi_h0");
  FITS(c, c->lengths && c->h0);
  recur_array *len64 = golden_load(c->name, ".len.npy");
  cr_assert(len64 && len64->dtype == RECUR_DTYPE_I64);
  int32_t len32[64];
  cr_assert_leq(len64->count, 64);
  for (size_t i = 0; i < len64->count; i++) len32[i] = (int32_t)((int64_t *)len64->data)[i];
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], h0[CLI_PATH_LEN], len[CLI_PATH_LEN], y[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  golden_path(x, sizeof x, c->name, ".x.npy");
  golden_path(h0, sizeof h0, c->name, ".h0.npy");
  cli_out_path(len, "len32.npy");
  cli_out_path(y, "y.npy");
  cli_write_npy(len, "<i4", 1, &c->B, len32, len64->count * sizeof len32[0]);
  cli_run("run", model, x, "--h0", h0, "--lengths", len, "-o", y, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cli_expect_golden(c, ".y.npy", y);
  recur_array_free(len64);
}

/* x of shape (T, B, I) as big-endian float64 in Fortran order (numpy's np.asfortranarray(
 * x.astype('>f8'))): the same values, exactly. */
static void write_x_f8_be_fortran(const char *path, const recur_array *x) {
  const int64_t T = x->shape[0], B = x->shape[1], I = x->shape[2];
  unsigned char *bytes = malloc(x->count * 8);
  cr_assert_not_null(bytes);
  for (int64_t t = 0; t < T; t++)
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < I; i++) {
        double v = ((const float *)x->data)[(t * B + b) * I + i];
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        for (int k = 0; k < 8; k++) bytes[(t + T * (b + B * i)) * 8 + k] = (unsigned char)(bits >> (56 - 8 * k));
      }
  cli_write_npy_order(path, ">f8", 1, 3, (long[]){(long)T, (long)B, (long)I}, bytes, x->count * 8);
  free(bytes);
}

/* The command line reads any real dtype, byte order and memory order, as the Python package
 * does: x as big-endian float64 in Fortran order, h0 as float64, lengths as uint8 give the
 * golden outputs, with the bits of the float32 files. */
Test(cli, converted_inputs) {
  const golden_case *c = cli_golden_case("gru_len_bi_h0");
  FITS(c, c->lengths && c->h0 && !c->batch_first && !c->unbatched);
  recur_array *x = golden_load(c->name, ".x.npy"), *h0 = golden_load(c->name, ".h0.npy"),
              *len = golden_load(c->name, ".len.npy");
  cr_assert(x && h0 && len && len->count <= 64);
  char model[CLI_PATH_LEN], x32[CLI_PATH_LEN], h032[CLI_PATH_LEN], len64[CLI_PATH_LEN],
      x64[CLI_PATH_LEN], h064[CLI_PATH_LEN], len8[CLI_PATH_LEN], y32[CLI_PATH_LEN],
      y[CLI_PATH_LEN], hn[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  golden_path(x32, sizeof x32, c->name, ".x.npy");
  golden_path(h032, sizeof h032, c->name, ".h0.npy");
  golden_path(len64, sizeof len64, c->name, ".len.npy");
  cli_out_path(x64, "x.npy");
  cli_out_path(h064, "h0.npy");
  cli_out_path(len8, "len.npy");
  cli_out_path(y32, "y32.npy");
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  write_x_f8_be_fortran(x64, x);
  double *h0_f8 = malloc(h0->count * sizeof *h0_f8);
  uint8_t lengths[64];
  for (size_t i = 0; i < h0->count; i++) h0_f8[i] = ((const float *)h0->data)[i];
  for (size_t i = 0; i < len->count; i++) lengths[i] = (uint8_t)((const int64_t *)len->data)[i];
  cli_write_npy(h064, "<f8", 3, (long[]){h0->shape[0], h0->shape[1], h0->shape[2]}, h0_f8,
                h0->count * sizeof *h0_f8);
  cli_write_npy(len8, "|u1", 1, (long[]){(long)len->count}, lengths, len->count);
  cli_run("run", model, x32, "--h0", h032, "--lengths", len64, "-o", y32, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cli_run("run", model, x64, "--h0", h064, "--lengths", len8, "-o", y, "--hn", hn, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cli_expect_golden(c, ".y.npy", y);
  cli_expect_golden(c, ".hn.npy", hn);
  size_t n32, n;
  char *a = cli_read_file(y32, &n32), *b = cli_read_file(y, &n);
  cr_expect(n == n32 && memcmp(a, b, n) == 0, "y differs from the float32 files' run");
  free(a), free(b), free(h0_f8);
  recur_array_free(x), recur_array_free(h0), recur_array_free(len);
}

/* Integers and bool convert to float32 too, as in the Python package: int16 and bool x give
 * the bits of their float32 copies. */
Test(cli, integer_and_bool_inputs) {
  const golden_case *c = cli_golden_case("lstm_l1_uni");
  FITS(c, c->T == 6 && c->B == 3 && c->I == 5);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], x32[CLI_PATH_LEN], y[CLI_PATH_LEN], y32[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  cli_out_path(x, "x.npy");
  cli_out_path(x32, "x32.npy");
  cli_out_path(y, "y.npy");
  cli_out_path(y32, "y32.npy");
  int16_t ints[90];
  uint8_t bools[90];
  float as_float[2][90];
  for (int i = 0; i < 90; i++) {
    ints[i] = (int16_t)(i % 7 - 3), bools[i] = (uint8_t)(i % 3 == 0);
    as_float[0][i] = ints[i], as_float[1][i] = bools[i];
  }
  for (int k = 0; k < 2; k++) {
    cli_write_npy(x, k ? "|b1" : "<i2", 3, (long[]){6, 3, 5}, k ? (void *)bools : (void *)ints,
                  k ? sizeof bools : sizeof ints);
    cr_assert_eq(recur_npy_save(x32, as_float[k], 3, (int64_t[]){6, 3, 5}), RECUR_OK);
    cli_run("run", model, x32, "-o", y32, NULL);
    cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
    cli_run("run", model, x, "-o", y, NULL);
    cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
    size_t n32, n;
    char *a = cli_read_file(y32, &n32), *b = cli_read_file(y, &n);
    cr_expect(n == n32 && memcmp(a, b, n) == 0, "%s x: y differs from its float32 copy's",
              k ? "bool" : "int16");
    free(a), free(b);
  }
}

/* An unbatched input takes lengths of shape (1,): T gives the golden run without lengths. */
Test(cli, unbatched_full_length) {
  const golden_case *c = cli_golden_case("lstm_unbatched");
  FITS(c, c->unbatched && !c->lengths);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], len[CLI_PATH_LEN], y[CLI_PATH_LEN], hn[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  golden_path(x, sizeof x, c->name, ".x.npy");
  cli_out_path(len, "len.npy");
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  const int64_t full = c->T;
  cli_write_npy(len, "<i8", 1, (long[]){1}, &full, sizeof full);
  cli_run("run", model, x, "--lengths", len, "-o", y, "--hn", hn, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cli_expect_golden(c, ".y.npy", y);
  cli_expect_golden(c, ".hn.npy", hn);
}

/* ---- the summary on stdout ---------------------------------------------------------------- */

static void expect_number(const char **p, double want, double tol, const char *what) {
  char *end;
  double got = strtod(*p, &end);
  cr_assert_neq(end, *p, "no number for %s at \"%s\"", what, *p);
  cr_expect_leq(fabs(got - want), tol, "%s: printed %.9g, expected %.9g", what, got, want);
  *p = end;
}

static void expect_word(const char **p, const char *word) {
  while (**p == ' ') (*p)++;
  cr_assert_eq(strncmp(*p, word, strlen(word)), 0, "expected \"%s\" at \"%s\"", word, *p);
  *p += strlen(word);
}

Test(cli, summary_without_output) {
  const golden_case *c = cli_golden_case("gru_bf_bi");
  FITS(c, c->batch_first);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  golden_path(x, sizeof x, c->name, ".x.npy");
  cli_run("run", model, x, "--batch-first", NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_str_empty(cli_res.err);
  cr_expect_eq(cli_count_lines(cli_res.out), 3, "stdout: %s", cli_res.out);

  recur_array *y = golden_load(c->name, ".y.npy");
  cr_assert(y && y->ndim == 3);
  const float *v = y->data;
  char head[128];
  snprintf(head, sizeof head, "y: shape (%lld, %lld, %lld) float32\n", (long long)y->shape[0],
           (long long)y->shape[1], (long long)y->shape[2]);
  cr_assert_eq(strncmp(cli_res.out, head, strlen(head)), 0, "stdout: %s, expected %s",
               cli_res.out, head);

  const char *p = cli_res.out + strlen(head);
  expect_word(&p, "first:");
  for (size_t i = 0; i < 6; i++) expect_number(&p, v[i], 2e-5 + 2e-5 * fabs(v[i]), "first");
  expect_word(&p, "...\n");
  double min = v[0], max = v[0], sum = 0;
  for (size_t i = 0; i < y->count; i++) {
    min = fmin(min, v[i]);
    max = fmax(max, v[i]);
    sum += v[i];
  }
  expect_word(&p, "min");
  expect_number(&p, min, 2e-5 + 2e-5 * fabs(min), "min");
  expect_word(&p, "max");
  expect_number(&p, max, 2e-5 + 2e-5 * fabs(max), "max");
  expect_word(&p, "mean");
  expect_number(&p, sum / (double)y->count, 2e-5, "mean");
  expect_word(&p, "\n");
  cr_expect_str_empty(p);
  recur_array_free(y);
}

/* ---- help, version, info ------------------------------------------------------------------ */

/* The last run succeeded, printed nothing on stderr, and its stdout contains every needle. */
__attribute__((sentinel)) static void expect_success(const char *first, ...) {
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_str_empty(cli_res.err);
  va_list ap;
  va_start(ap, first);
  for (const char *needle = first; needle; needle = va_arg(ap, const char *))
    cr_expect(strstr(cli_res.out, needle), "stdout lacks \"%s\": %s", needle, cli_res.out);
  va_end(ap);
}

Test(cli, help) {
  cli_run("--help", NULL);
  expect_success("usage: recur COMMAND", "run", "info", "--version", NULL);
  cli_run("-h", NULL);
  expect_success("usage: recur COMMAND", NULL);
  cli_run("run", "--help", NULL);
  expect_success("usage: recur run MODEL", "--lengths", "--batch-first", "--threads", NULL);
  cli_run("run", "model.safetensors", "-h", NULL);
  expect_success("usage: recur run MODEL", NULL);
  cli_run("info", "--help", NULL);
  expect_success("usage: recur info", NULL);
}

/* The help of each command taking a precision names exactly the descriptors' precisions, and
 * says how each rounds; its --isa names every ISA recur knows. */
Test(cli, help_lists_the_precisions_and_isas_of_the_library) {
  char names[128] = "", line[256];
#define NAME(ID, nm) \
  snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", #nm);
  RECUR_PRECISIONS(NAME)
#undef NAME
  static const char *const commands[] = {"run", "bench", "tune"};
  for (size_t c = 0; c < 3; c++) {
    cli_run(commands[c], "--help", NULL);
    cr_assert_eq(cli_res.code, 0);
    snprintf(line, sizeof line, "one of: %s", recur_tool_isa_names());
    cr_expect(strstr(cli_res.out, line), "%s --help lacks '%s'", commands[c], line);
    snprintf(line, sizeof line, "of: %s", names);
    const char *at = strstr(cli_res.out, "  --precision ");
    cr_assert(at, "%s --help has no --precision", commands[c]);
    cr_expect(strstr(at, line) && strstr(at, line) < strchr(at, '\n'),
              "%s --help's --precision does not list '%s'", commands[c], names);
#define ROUNDING(ID, nm)                                                            \
    snprintf(line, sizeof line, "\n  %-6s %s\n", #nm, recur_precision_##nm.rounding); \
    cr_expect(strstr(cli_res.out, line), "%s --help lacks '%s'", commands[c], line);
    RECUR_PRECISIONS(ROUNDING)
#undef ROUNDING
  }
}

Test(cli, version) {
  char want[64];
  snprintf(want, sizeof want, "recur %s\n", recur_version_string());
  cli_run("--version", NULL);
  expect_success(want, NULL);
  cr_expect_str_eq(cli_res.out, want);
}

Test(cli, info) {
  char version[64], features[160], kernels[128];
  snprintf(version, sizeof version, "recur %s\n", recur_version_string());
  /* Same library, same CPU, same environment: recur sees and picks what this process does. */
  snprintf(features, sizeof features, "\ncpu features: %s\n", recur_cpu_features());
  snprintf(kernels, sizeof kernels, "\nkernels: %s (available: %s)\n", recur_isa_name(),
           recur_isa_list());
  cli_run("info", NULL);
  expect_success(version, features, kernels, "threads: ", "tune file: ", NULL);
  cr_expect_eq(strncmp(cli_res.out, version, strlen(version)), 0, "stdout: %s", cli_res.out);
  cr_expect(strstr(recur_isa_list(), "scalar"), "available: %s", recur_isa_list());
  int threads = atoi(strstr(cli_res.out, "threads: ") + strlen("threads: "));
  cr_expect_geq(threads, 1, "stdout: %s", cli_res.out);
  cr_expect_null(strstr(cli_res.out, "peak "), "a peak without --peak: %s", cli_res.out);
}

/* With MODEL, info describes its network and the layout `recur run` takes for it. */
Test(cli, info_model) {
  static const struct {
    const char *name, *network, *layout;
  } cases[] = {
      {"gru_bf_bi", "\nmodel: %s\n  gru input_size=5 hidden_size=7 num_layers=2 bidirectional=1 "
       "proj_size=0 bias=1\n", "\n  layout: batch-first: x (B, T, 5), y (B, T, 14)\n"},
      {"lstm_proj_bi_l2", "\nmodel: %s\n  lstm input_size=6 hidden_size=8 num_layers=2 "
       "bidirectional=1 proj_size=5 bias=1\n", "\n  layout: time-first: x (T, B, 6), y (T, B, 10)\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const golden_case *c = cli_golden_case(cases[i].name);
    FITS(c, c->batch_first == (strstr(cases[i].layout, "batch-first") != NULL));
    char model[CLI_PATH_LEN], network[CLI_PATH_LEN + 160];
    golden_path(model, sizeof model, c->name, ".safetensors");
    snprintf(network, sizeof network, cases[i].network, model);
    cli_run("info", model, NULL);
    expect_success("\ntune file: ", network, cases[i].layout, NULL);
  }
  const golden_case *c = cli_golden_case("prefix_gru_decoder");
  FITS(c, c->prefix[0]);
  char model[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  cli_run("info", model, "--prefix", c->prefix, NULL);
  expect_success("\n  layout: ", NULL);
}

/* Whether name is one of the tables recur_isa_list() names. */
static int isa_available(const char *name) {
  char padded[160], needle[32];
  snprintf(padded, sizeof padded, " %s ", recur_isa_list());
  snprintf(needle, sizeof needle, " %s ", name);
  return strstr(padded, needle) != NULL;
}

/* `recur info --peak`'s line for isa at precision: its GFLOP/s and what its parentheses say
 * ("avx512_bf16: vdpbf16ps, one core"); 0 if it has none. */
static int peak_line(const char *isa, const char *precision, double *gflops, char what[64]) {
  char start[64];
  snprintf(start, sizeof start, "\npeak %s %s: ", isa, precision);
  const char *at = strstr(cli_res.out, start);
  return at && sscanf(at + strlen(start), "%lf GFLOP/s (%63[^)\n])\n", gflops, what) == 2;
}

/* A line per available table and precision, naming the table that precision runs on and the
 * instruction timed: bf16 takes the ISA's pair dot product where the CPU has it (2 products
 * per fp32 lane at the FMA's rate: twice its GFLOP/s), else the fp32 FMA its fallback widens
 * to (the same GFLOP/s as fp32); int8 its four-product dot where the CPU has it, else the
 * widening multiply-add of `<isa>_int8madd`. */
Test(cli, info_peak) {
  cli_run("info", "--peak", NULL);
  expect_success("\nthreads: ", NULL);
  cr_expect_null(strstr(cli_res.out, "peak scalar"), "the scalar table has no vector loop");
  char features[192];
  snprintf(features, sizeof features, " %s ", recur_cpu_features());
  const struct {
    const char *isa, *dot, *dot_feature; /* its bf16 pair dot product, if it has one */
    const char *dot8, *dot8_feature, *madd8; /* its int8 dot product, and its fallback's */
  } simd[] = {{"avx512", "avx512_bf16: vdpbf16ps", " avx512bf16 ", "avx512_int8: vpdpbusd",
               " avx512vnni ", "avx512_int8madd: vpmaddubsw"},
              {"avx2", NULL, NULL, "avx2_int8: {vex} vpdpbusd", " avxvnni ",
               "avx2_int8madd: vpmaddubsw"},
              {"neon", "neon_bf16: BFDOT", " bf16 ", "neon_int8: SDOT", " dotprod ",
               "neon_int8madd: SMULL"}};
  for (size_t i = 0; i < sizeof simd / sizeof *simd; i++) {
    double fp32, bf16, int8;
    char what32[64], what16[64], what8[64], want[64];
    int has32 = peak_line(simd[i].isa, "fp32", &fp32, what32),
        has16 = peak_line(simd[i].isa, "bf16", &bf16, what16),
        has8 = peak_line(simd[i].isa, "int8", &int8, what8);
    if (!isa_available(simd[i].isa)) {
      cr_expect(!has32 && !has16 && !has8, "%s is not available here: %s", simd[i].isa,
                cli_res.out);
      continue;
    }
    cr_assert(has32 && has16 && has8, "no %s lines for fp32, bf16 and int8: %s", simd[i].isa,
              cli_res.out);
    cr_expect_gt(fp32, 0.0, "%s", cli_res.out);
    snprintf(want, sizeof want, "%s: fp32 FMA, one core", simd[i].isa);
    cr_expect_str_eq(what32, want, "%s", cli_res.out);
    int dot = simd[i].dot && strstr(features, simd[i].dot_feature);
    if (dot) snprintf(want, sizeof want, "%s, one core", simd[i].dot);
    else snprintf(want, sizeof want, "%s_bf16fma: fp32 FMA, one core", simd[i].isa);
    cr_expect_str_eq(what16, want, "%s", cli_res.out);
    cr_expect_gt(bf16, 0.0, "%s", cli_res.out);
    snprintf(want, sizeof want, "%s, one core",
             strstr(features, simd[i].dot8_feature) ? simd[i].dot8 : simd[i].madd8);
    cr_expect_str_eq(what8, want, "%s", cli_res.out);
    cr_expect_gt(int8, 0.0, "%s", cli_res.out);
  }
}

/* RECUR_ISA naming a table this CPU or build lacks, or no table at all: the kernels are none,
 * one stderr line says why, and the exit status is 1. */
Test(cli, info_isa_unavailable) {
  const char *const known[] = {"avx512", "avx2", "neon"};
  const char *missing = NULL; /* x86 has no neon, AArch64 no avx2 */
  for (size_t i = 0; i < sizeof known / sizeof *known && !missing; i++)
    if (!isa_available(known[i])) missing = known[i];
  cr_assert(missing, "every table is available: %s", recur_isa_list());
  const char *names[] = {missing, "sse9"};
  const char *reasons[] = {"recur: RECUR_ISA: ISA '%s' is not available: this CPU has ",
                           "recur: RECUR_ISA: unknown ISA '%s'; known: "};
  for (int i = 0; i < 2; i++) {
    char reason[128];
    snprintf(reason, sizeof reason, reasons[i], names[i]);
    setenv("RECUR_ISA", names[i], 1);
    cli_run("info", NULL);
    cr_expect_eq(cli_res.code, 1, "RECUR_ISA=%s: exit %d", names[i], cli_res.code);
    cr_expect(strstr(cli_res.out, "\nkernels: none (available: "), "stdout: %s", cli_res.out);
    cr_expect_eq(cli_count_lines(cli_res.err), 1, "stderr: %s", cli_res.err);
    cr_expect_eq(strncmp(cli_res.err, reason, strlen(reason)), 0, "stderr: %s", cli_res.err);
  }
}
