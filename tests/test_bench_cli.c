/* `recur bench`: its options through recur_cli_parse, the case list and FLOP counts, and short
 * end-to-end runs of the executable (CSV and JSON reports). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/recur/cli.h"
#include "cli_harness.h"
#include "recur.h"
#include "recur_tool.h"

/* ---- option parsing ------------------------------------------------------------------------ */

static struct recur_cli_opts opts;
static char err[256];

/* recur_cli_parse on "recur bench ARGS..." (NULL-terminated). */
static enum recur_cli_status parse(const char *first, ...) {
  char *argv[32] = {"recur", "bench"};
  int argc = 2;
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
  va_end(ap);
  return recur_cli_parse(argc, argv, &opts, err, sizeof err);
}

/* The parse fails, naming the bench command's help, with every needle in the message. */
static void expect_usage_error(const char *needle, enum recur_cli_status status) {
  cr_assert_eq(status, RECUR_CLI_USAGE_ERROR, "accepted; wanted an error with '%s'", needle);
  cr_assert(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
  cr_assert_eq(opts.command, RECUR_CLI_BENCH);
  cr_assert_str_eq(recur_cli_hint(opts.command), "try 'recur bench --help'");
}

Test(bench_cli, defaults) {
  cr_assert_eq(parse(NULL), RECUR_CLI_OK, "%s", err);
  cr_assert_eq(opts.command, RECUR_CLI_BENCH);
  cr_assert(!opts.cells && !opts.n_shapes && !opts.isa && !opts.isa_all && !opts.n_thread_counts);
  cr_assert(!opts.csv && !opts.json && !opts.quick && !opts.vs_onednn && !opts.onednn_only);
  cr_assert_eq(opts.n_precisions, 0);
}

Test(bench_cli, every_option) {
  cr_assert_eq(parse("--cells", "bilstm,lstm", "--shapes=50,1,512;25,64,1024,512;8,2,16,32,8",
                     "--isa", "avx2", "--threads=2", "--csv", "--quick", "--vs-onednn", NULL),
               RECUR_CLI_OK, "%s", err);
  cr_assert_eq(opts.cells, (1u << RECUR_BENCH_LSTM) | (1u << RECUR_BENCH_BILSTM));
  cr_assert_eq(opts.n_shapes, 3);
  struct recur_bench_shape want[3] = {{50, 1, 512, 512, 0}, {25, 64, 1024, 512, 0}, {8, 2, 16, 32, 8}};
  cr_assert(opts.shapes[2].P == 8 && memcmp(opts.shapes, want, sizeof want) == 0);
  cr_assert_str_eq(opts.isa, "avx2");
  cr_assert(opts.n_thread_counts == 1 && opts.thread_counts[0] == 2 && !opts.threads);
  cr_assert(!opts.isa_all && opts.csv && opts.quick && opts.vs_onednn);
}

Test(bench_cli, isa_all_and_json) {
  cr_assert_eq(parse("--isa=all", "--json", "--onednn-only", NULL), RECUR_CLI_OK, "%s", err);
  cr_assert(opts.isa_all && !opts.isa && opts.json && opts.onednn_only);
}

Test(bench_cli, help) {
  cr_assert_eq(parse("--quick", "--help", NULL), RECUR_CLI_OK);
  cr_assert(opts.help && opts.command == RECUR_CLI_BENCH);
  cr_assert(strstr(recur_cli_usage(RECUR_CLI_BENCH), "--vs-onednn"));
}

/* --threads LIST parses to want (n counts). */
static void expect_thread_counts(const char *list, const int *want, int n) {
  cr_assert_eq(parse("--threads", list, NULL), RECUR_CLI_OK, "'%s': %s", list, err);
  cr_assert_eq(opts.n_thread_counts, n, "'%s'", list);
  cr_assert(memcmp(opts.thread_counts, want, (size_t)n * sizeof *want) == 0, "'%s'", list);
}

Test(bench_cli, thread_lists) {
  expect_thread_counts("1", (int[]){1}, 1);
  expect_thread_counts("1,2", (int[]){1, 2}, 2);
  expect_thread_counts("2,4,7", (int[]){2, 4, 7}, 3);
  expect_thread_counts("1024,1", (int[]){1024, 1}, 2);
  expect_thread_counts("8,7,6,5,4,3,2,1", (int[]){8, 7, 6, 5, 4, 3, 2, 1}, 8);
  const char *bad[] = {"0", "1,", ",2", "1,,2", "-1", "1,abc", "1025", "2,+1", "1, 2", ","};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_usage_error("is not a list of integers in 1..1024", parse("--threads", bad[i], NULL));
  expect_usage_error("more than 8 thread counts", parse("--threads", "1,2,3,4,5,6,7,8,9", NULL));
  expect_usage_error("thread count 2 given twice", parse("--threads", "2,1,2", NULL));
  expect_usage_error("needs a non-empty value", parse("--threads=", NULL));
}

Test(bench_cli, precision_lists) {
  cr_assert_eq(parse("--precision", "fp32,bf16", NULL), RECUR_CLI_OK, "%s", err);
  cr_assert(opts.n_precisions == 2 && opts.precisions[0] == RECUR_PRECISION_FP32 &&
            opts.precisions[1] == RECUR_PRECISION_BF16);
  cr_assert_eq(parse("--precision=bf16", NULL), RECUR_CLI_OK, "%s", err);
  cr_assert(opts.n_precisions == 1 && opts.precisions[0] == RECUR_PRECISION_BF16);
  expect_usage_error("unknown precision 'fp16'", parse("--precision", "fp32,fp16", NULL));
  expect_usage_error("unknown precision ''", parse("--precision", "fp32,", NULL));
  expect_usage_error("precision bf16 given twice", parse("--precision", "bf16,fp32,bf16", NULL));
  expect_usage_error("needs a non-empty value", parse("--precision=", NULL));
}

Test(bench_cli, bad_cells) {
  expect_usage_error("unknown cell 'lstmx'", parse("--cells", "lstm,lstmx", NULL));
  expect_usage_error("unknown cell ''", parse("--cells", "rnn,", NULL));
  expect_usage_error("cell 'gru' given twice", parse("--cells", "gru,rnn,gru", NULL));
  expect_usage_error("needs a non-empty value", parse("--cells=", NULL));
}

Test(bench_cli, bad_shapes) {
  const char *bad[] = {"50,1", "50,1,512,512,64,1", "0,1,1", "50,-1,512", "50,1,512;",
                       ";50,1,512", "50,,512", "100001,1,1", "50,1,512 ", "5x,1,1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_usage_error("is not T,B,I[,H[,P]]", parse("--shapes", bad[i], NULL));
  expect_usage_error("P must be smaller than H", parse("--shapes", "5,1,8,8,8", NULL));
}

Test(bench_cli, too_many_shapes) {
  char many[512] = "";
  for (int i = 0; i <= RECUR_BENCH_MAX_SHAPES; i++) strcat(many, i ? ";2,1,4" : "2,1,4");
  expect_usage_error("more than 16 shapes", parse("--shapes", many, NULL));
  many[strlen(many) - strlen(";2,1,4")] = '\0';
  cr_assert_eq(parse("--shapes", many, NULL), RECUR_CLI_OK, "%s", err);
  cr_assert_eq(opts.n_shapes, RECUR_BENCH_MAX_SHAPES);
}

Test(bench_cli, projection_is_lstm_only) {
  expect_usage_error("needs --cells lstm", parse("--shapes", "5,1,8,8,4", NULL));
  expect_usage_error("needs --cells lstm", parse("--cells", "lstm,gru", "--shapes", "5,1,8,8,4", NULL));
  cr_assert_eq(parse("--cells", "bilstm,lstm", "--shapes", "5,1,8,8,4", NULL), RECUR_CLI_OK);
}

Test(bench_cli, conflicts_and_bad_values) {
  expect_usage_error("exclude each other", parse("--csv", "--json", NULL));
  expect_usage_error("exclude each other", parse("--vs-onednn", "--onednn-only", NULL));
  expect_usage_error("'--vs-defaults' and '--onednn-only'", parse("--vs-defaults", "--onednn-only", NULL));
  expect_usage_error("unknown instruction set 'sse'", parse("--isa", "sse", NULL));
  expect_usage_error("or all", parse("--isa", "sse", NULL));
  expect_usage_error("'--quick' given twice", parse("--quick", "--quick", NULL));
  expect_usage_error("takes no value", parse("--csv=1", NULL));
  expect_usage_error("unexpected argument 'lstm'", parse("lstm", NULL));
  expect_usage_error("unknown option '-o'", parse("-o", "y.npy", NULL));
}

/* ---- cases, FLOPs and the child's arguments ------------------------------------------------ */

Test(bench_spec, default_cases) {
  struct recur_bench_case cases[RECUR_BENCH_MAX_CASES];
  cr_assert_eq(recur_bench_cases(0, NULL, 0, cases), 3 * 7 + 1);
  cr_assert_eq(cases[21].cell, RECUR_BENCH_BILSTM);
  cr_assert(cases[21].shape.T == 50 && cases[21].shape.B == 16 && cases[21].shape.H == 512);
  struct recur_bench_shape s = {4, 2, 8, 16, 0};
  cr_assert_eq(recur_bench_cases(1u << RECUR_BENCH_BILSTM | 1u << RECUR_BENCH_RNN, &s, 1, cases), 2);
  cr_assert(cases[0].cell == RECUR_BENCH_RNN && cases[1].cell == RECUR_BENCH_BILSTM);
}

Test(bench_spec, flops) {
  struct recur_bench_case lstm = {RECUR_BENCH_LSTM, {50, 1, 512, 512, 0}};
  cr_assert_float_eq(recur_bench_flops(&lstm), 2.0 * 50 * 4 * 512 * 1024, 1);
  struct recur_bench_case bigru = {RECUR_BENCH_GRU, {10, 3, 20, 30, 0}};
  cr_assert_float_eq(recur_bench_flops(&bigru), 2.0 * 10 * 3 * 3 * 30 * 50, 1e-6);
  struct recur_bench_case proj = {RECUR_BENCH_BILSTM, {10, 3, 20, 30, 7}};
  cr_assert_float_eq(recur_bench_flops(&proj), 2 * 2.0 * 10 * 3 * (4 * 30 * 27 + 7 * 30), 1e-6);
}

Test(bench_spec, format_round_trips) {
  char cells[64], shapes[256], msg[128];
  unsigned mask = 1u << RECUR_BENCH_GRU | 1u << RECUR_BENCH_BILSTM, mask2 = 0;
  struct recur_bench_shape s[2] = {{1, 2, 3, 3, 0}, {100000, 5, 6, 7, 2}}, s2[RECUR_BENCH_MAX_SHAPES];
  int n = 0;
  cr_assert(recur_bench_format_cells(mask, cells, sizeof cells));
  cr_assert_str_eq(cells, "gru,bilstm");
  cr_assert(recur_bench_format_shapes(s, 2, shapes, sizeof shapes));
  cr_assert_str_eq(shapes, "1,2,3,3;100000,5,6,7,2");
  cr_assert(recur_bench_parse_cells(cells, &mask2, msg, sizeof msg) && mask2 == mask);
  cr_assert(recur_bench_parse_shapes(shapes, s2, &n, msg, sizeof msg) && n == 2);
  cr_assert(memcmp(s, s2, sizeof s) == 0);
  cr_assert(!recur_bench_format_shapes(s, 2, shapes, 10), "a short buffer must fail");
  char threads[RECUR_BENCH_THREADS_TEXT_LEN];
  recur_bench_format_threads((int[]){2, 1024, 7}, 3, threads);
  cr_assert_str_eq(threads, "2,1024,7");
}

/* ---- the executable ------------------------------------------------------------------------ */

TestSuite(bench_run, .init = cli_setup, .fini = cli_teardown);

/* The index of column `name` in the header, the first line of CSV text. */
static int csv_column(const char *text, const char *name) {
  size_t len = strlen(name);
  int column = 0;
  for (const char *p = text; *p && *p != '\n'; column++) {
    size_t n = strcspn(p, ",\n");
    if (n == len && strncmp(p, name, len) == 0) return column;
    p += n + (p[n] == ',');
  }
  cr_assert_fail("no column %s in %s", name, text);
  return -1;
}

/* Field `name` of line `line` (1: the first after the header) of CSV text, into buf. */
static void csv_field(const char *text, int line, const char *name, char *buf, size_t len) {
  int column = csv_column(text, name);
  const char *p = text;
  for (int i = 0; i < line; i++) {
    p = strchr(p, '\n');
    cr_assert(p && p[1], "no line %d in %s", line, text);
    p++;
  }
  for (int i = 0; i < column; i++) {
    p += strcspn(p, ",\n");
    cr_assert_eq(*p, ',', "line %d is short in %s", line, text);
    p++;
  }
  size_t n = strcspn(p, ",\n");
  cr_assert_lt(n, len);
  memcpy(buf, p, n);
  buf[n] = '\0';
}

Test(bench_run, csv) {
  cli_run("bench", "--quick", "--cells", "rnn,bilstm", "--shapes", "3,2,8,4;2,1,5", "--threads",
          "1", "--csv", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_assert_eq(cli_count_lines(cli_res.out), 5, "%s", cli_res.out);
  cr_assert(strncmp(cli_res.out, "cell,T,B,I,H,P,", 15) == 0, "%s", cli_res.out);
  cr_assert(strstr(cli_res.out, "\nbilstm,2,1,5,5,0,2,"), "%s", cli_res.out);
  for (int line = 1; line <= 4; line++) {
    char precision[16];
    csv_field(cli_res.out, line, "precision", precision, sizeof precision);
    cr_assert_str_eq(precision, "fp32", "the default is fp32 on every row: %s", cli_res.out);
  }
}

Test(bench_run, csv_threads_and_scaling) {
  cli_run("bench", "--quick", "--threads", "1,2", "--shapes", "5,2,16", "--cells", "lstm", "--csv",
          NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_assert_eq(cli_count_lines(cli_res.out), 3, "%s", cli_res.out);
  char threads[16], scaling[16], median[16];
  for (int line = 1; line <= 2; line++) {
    csv_field(cli_res.out, line, "threads", threads, sizeof threads);
    cr_assert_eq(atoi(threads), line, "%s", cli_res.out);
    csv_field(cli_res.out, line, "median_ms", median, sizeof median);
    cr_assert_gt(atof(median), 0, "%s", cli_res.out);
  }
  csv_field(cli_res.out, 1, "scaling", scaling, sizeof scaling);
  cr_assert_str_empty(scaling, "no scaling at the first count: %s", cli_res.out);
  csv_field(cli_res.out, 2, "scaling", scaling, sizeof scaling);
  cr_assert_gt(atof(scaling), 0, "%s", cli_res.out);
}

/* --vs-defaults times the built-in choices beside the tune file's: with no tune file in use both
 * run the same plan, and the ratio is the default's median over recur's, in the CSV and the
 * JSON. */
Test(bench_run, vs_defaults) {
  cr_assert_eq(setenv("RECUR_TUNE_FILE", "/nonexistent/tune.conf", 1), 0);
  cli_run("bench", "--quick", "--threads", "1,2", "--shapes", "20,4,128", "--cells", "gru",
          "--vs-defaults", "--csv", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  char median[16], def[16], ratio[16], tuned[16];
  for (int line = 1; line <= 2; line++) {
    csv_field(cli_res.out, line, "median_ms", median, sizeof median);
    csv_field(cli_res.out, line, "default_ms", def, sizeof def);
    csv_field(cli_res.out, line, "vs_defaults", ratio, sizeof ratio);
    csv_field(cli_res.out, line, "tuned", tuned, sizeof tuned);
    cr_assert_gt(atof(def), 0, "%s", cli_res.out);
    /* the CSV rounds the times to 0.1 us and the ratio to 1e-3 */
    double want = atof(def) / atof(median), slack = want * 1e-4 / atof(median) + 1e-3;
    cr_expect_leq(fabs(atof(ratio) - want), slack, "%s", cli_res.out);
    cr_expect_str_eq(tuned, "-", "no tune file, yet: %s", cli_res.out);
  }
  cli_run("bench", "--quick", "--threads", "1", "--shapes", "5,3,16", "--cells", "gru",
          "--vs-defaults", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_expect(strstr(cli_res.out, " default_ms vs_def\n"), "%s", cli_res.out);
  cr_expect(strstr(cli_res.out, "with the tune file against the built-in defaults: faster on "),
            "%s", cli_res.out);
  cli_run("bench", "--quick", "--threads", "1", "--shapes", "5,3,16", "--cells", "gru",
          "--vs-defaults", "--json", NULL);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr), *row;
  cr_assert(root, "not JSON: %s", jerr.text);
  row = json_array_get(json_object_get(root, "results"), 0);
  cr_expect_gt(json_integer_value(json_object_get(json_object_get(row, "defaults"), "runs")), 0);
  cr_expect_gt(json_real_value(json_object_get(row, "vs_defaults")), 0);
  cr_expect(json_is_false(json_object_get(row, "tuned")));
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(root, "tune"), "state")), "none");
  json_decref(root);
}

Test(bench_run, json_every_isa) {
  cli_run("bench", "--quick", "--cells", "gru", "--shapes", "2,1,4", "--isa", "all", "--threads",
          "1,2", "--json", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr);
  cr_assert(root, "not JSON: %s", jerr.text);
  json_t *results = json_object_get(root, "results");
  cr_assert(json_string_value(json_object_get(root, "cpu_model")));
  cr_assert(json_string_value(json_object_get(root, "cpu_features")));
  cr_assert_str_eq(json_string_value(json_object_get(root, "recur_version")), recur_version_string());
  size_t n_isas = 1;
  for (const char *p = recur_isa_list(); *p; p++) n_isas += *p == ' ';
  cr_assert_eq(json_array_size(results), 2 * n_isas);
  json_t *threads = json_object_get(root, "threads");
  cr_assert(json_array_size(threads) == 2 && json_integer_value(json_array_get(threads, 1)) == 2);
  json_t *first = json_array_get(results, 0), *second = json_array_get(results, 1);
  cr_assert_gt(json_real_value(json_object_get(first, "gflops")), 0);
  cr_assert_gt(json_integer_value(json_object_get(json_object_get(first, "recur"), "runs")), 0);
  cr_assert_eq(json_integer_value(json_object_get(first, "threads")), 1);
  cr_assert(json_is_null(json_object_get(first, "scaling")));
  cr_assert_eq(json_integer_value(json_object_get(second, "threads")), 2);
  cr_assert_gt(json_real_value(json_object_get(second, "scaling")), 0);
  size_t i;
  json_t *row;
  json_array_foreach(results, i, row)
    cr_assert_str_eq(json_string_value(json_object_get(row, "precision")), "fp32");
  json_decref(root);
}

/* --precision bf16,int8,fp32: a block of rows per precision in the order given, each row naming
 * its precision, in the CSV, the JSON and the table's headings. */
Test(bench_run, every_precision) {
  cli_run("bench", "--quick", "--cells", "lstm", "--shapes", "5,2,16;3,1,8", "--threads", "1",
          "--precision", "bf16,int8,fp32", "--csv", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_assert_eq(cli_count_lines(cli_res.out), 7, "%s", cli_res.out);
  static const char *const want[] = {"bf16", "bf16", "int8", "int8", "fp32", "fp32"};
  char precision[16], median[16], T[16];
  for (int line = 1; line <= 6; line++) {
    csv_field(cli_res.out, line, "precision", precision, sizeof precision);
    cr_expect_str_eq(precision, want[line - 1], "%s", cli_res.out);
    csv_field(cli_res.out, line, "median_ms", median, sizeof median);
    cr_expect_gt(atof(median), 0, "%s", cli_res.out);
    csv_field(cli_res.out, line, "T", T, sizeof T);
    cr_expect_eq(atoi(T), line % 2 ? 5 : 3, "each precision has every case: %s", cli_res.out);
  }
  cli_run("bench", "--quick", "--cells", "gru", "--shapes", "2,1,4", "--threads", "1",
          "--precision", "fp32,bf16,int8", "--json", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr);
  cr_assert(root, "not JSON: %s", jerr.text);
  json_t *results = json_object_get(root, "results");
  cr_assert_eq(json_array_size(results), 3);
  static const char *const in_order[] = {"fp32", "bf16", "int8"};
  for (size_t i = 0; i < 3; i++) {
    json_t *row = json_array_get(results, i);
    cr_expect_str_eq(json_string_value(json_object_get(row, "precision")), in_order[i]);
    cr_expect_gt(json_integer_value(json_object_get(json_object_get(row, "recur"), "runs")), 0);
  }
  json_decref(root);
  cli_run("bench", "--quick", "--cells", "rnn", "--shapes", "2,1,4", "--threads", "1",
          "--precision", "fp32,bf16", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  char heading[64];
  snprintf(heading, sizeof heading, "\nkernels %s, bf16: ", recur_isa_name());
  cr_expect(strstr(cli_res.out, heading), "%s", cli_res.out);
  cr_expect(strstr(cli_res.out, "; fp32 and bf16, one layer"), "%s", cli_res.out);
  cr_expect(strstr(cli_res.out, "_bf16/"), "the ratio table compares the precisions: %s", cli_res.out);
}

/* A row's %peak is against the peak of its precision's instruction (recur_tool_peak_instruction,
 * checked against the hardware in test_kernels): a bf16 row on a table with a bf16 pair dot
 * product (vdpbf16ps: twice the FMA's flops) once got the fp32 FMA's peak and read 150-166%. */
Test(bench_run, each_precision_takes_its_own_peak) {
  cli_run("bench", "--quick", "--cells", "lstm", "--shapes", "50,16,512", "--threads", "1",
          "--precision", "fp32,bf16,int8", "--json", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr);
  cr_assert(root, "not JSON: %s", jerr.text);
  json_t *results = json_object_get(root, "results");
  cr_assert_eq(json_array_size(results), 3);
  for (int p = 0; p < 3; p++) {
    json_t *row = json_array_get(results, (size_t)p);
    const char *table, *instruction;
    cr_expect_str_eq(json_string_value(json_object_get(row, "precision")),
                     recur_precision_name((recur_precision)p));
    if (recur_tool_peak_instruction(recur_isa_name(), (recur_precision)p, &table, &instruction)) {
      /* the scalar table (RECUR_ISA=scalar) has no vector loop to time: no peak, no %peak */
      cr_expect_str_eq(recur_isa_name(), "scalar");
      static const char *const none[] = {"peak_table", "peak_instruction", "peak_gflops",
                                         "pct_peak"};
      for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        cr_expect(json_is_null(json_object_get(row, none[i])), "%s: %s", none[i], cli_res.out);
      continue;
    }
    cr_expect_str_eq(json_string_value(json_object_get(row, "peak_table")), table);
    cr_expect_str_eq(json_string_value(json_object_get(row, "peak_instruction")), instruction);
    /* %peak is the row's GFLOP/s over that peak (the figures themselves are timings, which a
     * unit test does not judge: on a busy machine or under qemu any ratio may come out) */
    double gflops = json_real_value(json_object_get(row, "gflops"));
    double peak = json_real_value(json_object_get(row, "peak_gflops"));
    double pct = json_real_value(json_object_get(row, "pct_peak"));
    cr_expect(gflops > 0 && peak > 0 && fabs(pct - 100 * gflops / peak) <= 1e-3 * pct + 0.01,
              "%s: %g GFLOP/s, peak %g, %%peak %g", recur_precision_name((recur_precision)p),
              gflops, peak, pct);
  }
  json_decref(root);
}

/* A run warns on stderr, without failing, of a busy machine (the load average it read, which
 * the JSON gives, above the CPUs its threads leave free plus half a CPU: recur_bench_busy) and
 * of timings whose runs spread more than 10% (each timing's spread in the JSON): exactly when
 * those hold, counting them. */
Test(bench_run, warns_when_the_machine_is_busy_or_the_times_noisy) {
  cli_run("bench", "--quick", "--cells", "gru,lstm", "--shapes", "20,4,64;2,1,4", "--threads",
          "1,2", "--vs-defaults", "--json", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr), *row;
  cr_assert(root, "not JSON: %s", jerr.text);
  json_t *load = json_object_get(root, "load");
  cr_assert(json_is_object(load), "no load read from /proc/loadavg: %s", cli_res.out);
  double average = json_real_value(json_object_get(load, "average"));
  int cpus = (int)json_integer_value(json_object_get(load, "cpus"));
  cr_expect_eq(cpus, (int)sysconf(_SC_NPROCESSORS_ONLN));
  int busy = recur_bench_busy(average, cpus, 2);
  const char *said = strstr(cli_res.err, "recur bench: warning: the machine is busy (");
  cr_expect_eq(said != NULL, busy, "load %g on %d CPUs, yet stderr: %s", average, cpus, cli_res.err);
  char want[96];
  snprintf(want, sizeof want, "(load average %.2f on %d CPUs; this run takes up to 2 threads)",
           average, cpus);
  if (said) cr_expect(strstr(said, want), "want %s: %s", want, cli_res.err);
  int timings = 0, noisy = 0;
  size_t i;
  json_array_foreach(json_object_get(root, "results"), i, row) {
    const char *const which[] = {"recur", "defaults"};
    for (int k = 0; k < 2; k++) {
      json_t *t = json_object_get(row, which[k]);
      cr_assert(json_is_object(t), "row %zu has no %s timing", i, which[k]);
      double spread = json_real_value(json_object_get(t, "spread"));
      cr_expect(spread >= 0 && json_is_real(json_object_get(t, "spread")), "row %zu", i);
      timings++;
      noisy += spread > 0.10;
    }
  }
  cr_expect_eq(timings, 16, "2 cells, 2 shapes, 2 thread counts, recur and its defaults");
  snprintf(want, sizeof want, "recur bench: warning: %d of %d timings spread more than 10%% run to run",
           noisy, timings);
  if (noisy) cr_expect(strstr(cli_res.err, want), "want %s: %s", want, cli_res.err);
  else cr_expect_null(strstr(cli_res.err, "timings spread"), "none spread, yet: %s", cli_res.err);
  json_decref(root);
}

/* The installed recur never links oneDNN: --vs-onednn and --onednn-only say which program
 * does (test_bench_onednn.c runs it). */
Test(bench_run, onednn_is_in_recur_onednn_only) {
  for (int only = 0; only < 2; only++) {
    cli_run("bench", "--quick", "--cells", "lstm", "--shapes", "2,1,4", only ? "--onednn-only"
            : "--vs-onednn", NULL);
    cli_expect_failure(1, "this recur has no oneDNN", "bench/recur_onednn bench --vs-onednn",
                       NULL);
  }
}

Test(bench_run, usage_error) {
  cli_run("bench", "--shapes", "1,2", NULL);
  cli_expect_failure(2, "option '--shapes'", "try 'recur bench --help'", NULL);
}
