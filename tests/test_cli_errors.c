/* End-to-end tests of the `recur` executable's failures: usage errors exit 2 with a message
 * and a hint; every other error exits 1 with one stderr line naming the file and the problem,
 * and leaves no output behind. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_harness.h"
#include "recur.h"
#include "unwritable.h"

TestSuite(cli_errors, .init = cli_setup, .fini = cli_teardown);

/* ---- usage errors: exit 2 ----------------------------------------------------------------- */

Test(cli_errors, no_arguments) {
  struct cli_args none = {.n = 0};
  cli_run_args(&none);
  cli_expect_failure(2, "no command", "try 'recur --help'", NULL);
}

Test(cli_errors, unknown_command) {
  cli_run("frobnicate", NULL);
  cli_expect_failure(2, "'frobnicate'", "try 'recur --help'", NULL);
}

Test(cli_errors, unknown_option) {
  cli_run("run", "m.safetensors", "x.npy", "--bogus", NULL);
  cli_expect_failure(2, "unknown option '--bogus'", "try 'recur run --help'", NULL);
}

Test(cli_errors, missing_option_value) {
  cli_run("run", "m.safetensors", "x.npy", "--hn", NULL);
  cli_expect_failure(2, "'--hn' needs a value", "try 'recur run --help'", NULL);
}

Test(cli_errors, missing_input) {
  cli_run("run", "m.safetensors", NULL);
  cli_expect_failure(2, "missing INPUT", NULL);
}

Test(cli_errors, extra_argument) {
  cli_run("run", "m.safetensors", "x.npy", "extra.npy", NULL);
  cli_expect_failure(2, "'extra.npy'", NULL);
}

Test(cli_errors, duplicate_option) {
  cli_run("run", "m.safetensors", "x.npy", "--threads", "2", "--threads=3", NULL);
  cli_expect_failure(2, "'--threads' given twice", NULL);
}

Test(cli_errors, bad_thread_counts) {
  const char *bad[] = {"-4", "0", "abc", "3x", "1025", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cli_run("run", "m.safetensors", "x.npy", "--threads", bad[i], NULL);
    cli_expect_failure(2, "'--threads'", bad[i], NULL);
  }
}

Test(cli_errors, unknown_isa) {
  cli_run("run", "m.safetensors", "x.npy", "--isa", "bogus", NULL);
  cli_expect_failure(2, "'bogus'", "try 'recur run --help'", NULL);
}

Test(cli_errors, unknown_precision) {
  cli_run("run", "m.safetensors", "x.npy", "--precision", "fp16", NULL);
  cli_expect_failure(2, "unknown precision 'fp16'", "try 'recur run --help'", NULL);
}

Test(cli_errors, info_takes_only_its_arguments) {
  cli_run("info", "--threads", "2", NULL);
  cli_expect_failure(2, "'--threads'", "try 'recur info --help'", NULL);
  cli_run("info", "m.safetensors", "x.npy", NULL);
  cli_expect_failure(2, "unexpected argument 'x.npy'", "try 'recur info --help'", NULL);
  cli_run("info", "--prefix", "encoder", NULL);
  cli_expect_failure(2, "option '--prefix' needs MODEL", "try 'recur info --help'", NULL);
}

Test(cli_errors, one_layout_at_most) {
  cli_run("run", "m.safetensors", "x.npy", "--time-first", "--batch-first", NULL);
  cli_expect_failure(2, "options '--batch-first' and '--time-first' exclude each other",
                     "try 'recur run --help'", NULL);
}

/* ---- other errors: exit 1 ----------------------------------------------------------------- */

/* The golden case's file "<name><suffix>". */
static void golden_file(char *buf, const char *name, const char *suffix) {
  golden_path(buf, CLI_PATH_LEN, name, suffix);
}

Test(cli_errors, missing_model) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  cli_out_path(model, "absent.safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_run("run", model, x, NULL);
  cli_expect_failure(1, model, NULL);
}

Test(cli_errors, info_missing_model) {
  char model[CLI_PATH_LEN];
  cli_out_path(model, "absent.safetensors");
  cli_run("info", model, NULL);
  cr_expect_eq(cli_res.code, 1, "exit %d", cli_res.code);
  cr_expect(strstr(cli_res.out, "\ntune file: "), "stdout: %s", cli_res.out);
  cr_expect_eq(cli_count_lines(cli_res.err), 1, "stderr: %s", cli_res.err);
  cr_expect(strstr(cli_res.err, model), "stderr: %s", cli_res.err);
}

Test(cli_errors, truncated_model) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], cut[CLI_PATH_LEN];
  golden_file(model, "lstm_l1_uni", ".safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_out_path(cut, "cut.safetensors");
  size_t size;
  char *bytes = cli_read_file(model, &size);
  FILE *f = fopen(cut, "wb");
  cr_assert(f && fwrite(bytes, 1, size / 2, f) == size / 2 && fclose(f) == 0);
  free(bytes);
  cli_run("run", cut, x, NULL);
  cli_expect_failure(1, cut, NULL);
}

/* Runs lstm_l1_uni (T=6, B=3, I=5, H=7) with its x replaced by a float32 array of shape. */
static void run_with_input(const char *x, int ndim, const int64_t *shape) {
  const golden_case *c = cli_golden_case("lstm_l1_uni");
  cr_assert(c->T == 6 && c->B == 3 && c->I == 5 && c->H == 7, "golden case %s changed", c->name);
  static const float zeros[6 * 3 * 6];
  cr_assert_eq(recur_npy_save(x, zeros, ndim, shape), RECUR_OK, "%s", recur_last_error());
  char model[CLI_PATH_LEN];
  golden_file(model, c->name, ".safetensors");
  cli_run("run", model, x, NULL);
}

Test(cli_errors, input_of_wrong_size) {
  char x[CLI_PATH_LEN];
  cli_out_path(x, "x.npy");
  run_with_input(x, 3, (int64_t[]){6, 3, 6});
  cli_expect_failure(1, x, "shape (6, 3, 6), expected (T, B, 5)", NULL);
  run_with_input(x, 1, (int64_t[]){5});
  cli_expect_failure(1, x, "shape (5,), expected (T, B, 5) or (T, 5)", NULL);
}

/* Real numbers convert (test_cli.c); other dtypes do not. */
Test(cli_errors, input_of_a_dtype_that_does_not_convert) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  golden_file(model, "lstm_l1_uni", ".safetensors");
  cli_out_path(x, "xc.npy");
  static const float zeros[6 * 3 * 5 * 2];
  cli_write_npy(x, "<c8", 3, (long[]){6, 3, 5}, zeros, sizeof zeros);
  cli_run("run", model, x, NULL);
  cli_expect_failure(1, x, "dtype '<c8' not supported", NULL);
}

Test(cli_errors, h0_of_wrong_shape) {
  const golden_case *c = cli_golden_case("lstm_h0c0_bi_l2");
  cr_assert(c->layers == 2 && c->bidir && c->B == 3 && c->H == 7, "golden case %s changed",
            c->name);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], h0[CLI_PATH_LEN];
  golden_file(model, c->name, ".safetensors");
  golden_file(x, c->name, ".x.npy");
  cli_out_path(h0, "h0.npy");
  static const float zeros[2 * 3 * 7];
  cr_assert_eq(recur_npy_save(h0, zeros, 3, (int64_t[]){2, 3, 7}), RECUR_OK);
  cli_run("run", model, x, "--h0", h0, NULL);
  cli_expect_failure(1, h0, "shape (2, 3, 7), expected (4, 3, 7)", NULL);
}

Test(cli_errors, bad_lengths) {
  const golden_case *c = cli_golden_case("gru_len_bi_h0");
  cr_assert(c->T == 7 && c->B == 5, "golden case %s changed", c->name);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], len[CLI_PATH_LEN];
  golden_file(model, c->name, ".safetensors");
  golden_file(x, c->name, ".x.npy");
  cli_out_path(len, "len.npy");
  const int64_t too_long[5] = {3, 7, 8, 5, 7}; /* 8 > T */
  cli_write_npy(len, "<i8", 1, (long[]){5}, too_long, sizeof too_long);
  cli_run("run", model, x, "--lengths", len, NULL);
  cli_expect_failure(1, len, NULL);

  const float as_float[5] = {3, 7, 1, 5, 7};
  cli_write_npy(len, "<f4", 1, (long[]){5}, as_float, sizeof as_float);
  cli_run("run", model, x, "--lengths", len, NULL);
  cli_expect_failure(1, len, "dtype float32, expected integers", NULL);

  const uint8_t as_bool[5] = {1, 1, 1, 1, 1};
  cli_write_npy(len, "|b1", 1, (long[]){5}, as_bool, sizeof as_bool);
  cli_run("run", model, x, "--lengths", len, NULL);
  cli_expect_failure(1, len, "dtype bool, expected integers", NULL);

  cli_write_npy(len, "<i8", 1, (long[]){4}, too_long, 4 * sizeof too_long[0]);
  cli_run("run", model, x, "--lengths", len, NULL);
  cli_expect_failure(1, len, "shape (4,), expected (5,)", NULL);
}

Test(cli_errors, unbatched_lengths_of_two) {
  const golden_case *c = cli_golden_case("lstm_unbatched");
  cr_assert(c->unbatched, "golden case %s changed", c->name);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], len[CLI_PATH_LEN];
  golden_file(model, c->name, ".safetensors");
  golden_file(x, c->name, ".x.npy");
  cli_out_path(len, "len.npy");
  const int64_t two[2] = {1, 1};
  cli_write_npy(len, "<i8", 1, (long[]){2}, two, sizeof two);
  cli_run("run", model, x, "--lengths", len, NULL);
  cli_expect_failure(1, len, "shape (2,), expected (1,)", NULL);
}

Test(cli_errors, cell_state_on_gru) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  golden_file(model, "gru_l1_uni", ".safetensors");
  golden_file(x, "gru_l1_uni", ".x.npy");
  cli_out_path(cn, "cn.npy");
  cli_run("run", model, x, "--cn", cn, NULL);
  cli_expect_failure(1, model, "--cn", "LSTM", NULL);
  cli_run("run", model, x, "--c0", x, NULL);
  cli_expect_failure(1, model, "--c0", "LSTM", NULL);
  cli_expect_out_listing("");
}

/* An instruction set this CPU cannot have. */
#if defined(__x86_64__) || defined(__i386__)
#define FOREIGN_ISA "neon"
#else
#define FOREIGN_ISA "avx2"
#endif

Test(cli_errors, foreign_isa) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  golden_file(model, "lstm_l1_uni", ".safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_run("run", model, x, "--isa", FOREIGN_ISA, NULL);
  cli_expect_failure(1, FOREIGN_ISA, NULL);
}

/* Runs lstm_l1_uni writing y, h_n and c_n to the given paths. */
static void run_to(const char *y, const char *hn, const char *cn) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  golden_file(model, "lstm_l1_uni", ".safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_run("run", model, x, "-o", y, "--hn", hn, "--cn", cn, NULL);
}

Test(cli_errors, output_in_missing_folder) {
  char y[CLI_PATH_LEN], hn[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  cli_out_path(y, "absent/y.npy");
  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "cn.npy");
  run_to(y, hn, cn);
  cli_expect_failure(1, y, NULL);
  cli_expect_out_listing("");
}

/* Outputs are checked before anything is loaded or computed: with a model that does not exist,
 * the error is still the output's. A folder recur may not write to (root included), and a file
 * where the folder should be. */
Test(cli_errors, output_checked_before_the_work) {
  char folder[CLI_PATH_LEN], y[CLI_PATH_LEN], file[CLI_PATH_LEN], under_file[CLI_PATH_LEN],
      x[CLI_PATH_LEN];
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_out_path(folder, "locked");
  cli_out_path(y, "locked/y.npy");
  cli_out_path(file, "file");
  cli_out_path(under_file, "file/y.npy");
  FILE *f = fopen(file, "w");
  cr_assert(f && fclose(f) == 0);
  cli_run("run", "/nonexistent/model.safetensors", x, "-o", under_file, NULL);
  cli_expect_failure(1, under_file, "Not a directory", NULL);
  cr_assert_eq(mkdir(folder, 0700), 0);
  make_unwritable(folder);
  cli_run("run", "/nonexistent/model.safetensors", x, "-o", y, NULL);
  cli_expect_failure(1, y, "Permission denied", NULL);
  cli_run("run", "/nonexistent/model.safetensors", x, "--hn", y, NULL);
  cli_expect_failure(1, y, "Permission denied", NULL);
  make_writable(folder);
}

Test(cli_errors, output_is_a_folder) {
  char y[CLI_PATH_LEN], hn[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  cr_assert_eq(mkdir(y, 0700), 0);
  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "cn.npy");
  run_to(y, hn, cn);
  cli_expect_failure(1, y, NULL);
  cli_expect_out_listing("y.npy"); /* the folder, and no temporary file beside it */
}

Test(cli_errors, later_output_fails) {
  char y[CLI_PATH_LEN], hn[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  cli_out_path(cn, "cn.npy");
  run_to(y, "/nonexistent/x.npy", cn);
  cli_expect_failure(1, "/nonexistent/x.npy", NULL);
  cli_expect_out_listing("");

  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "absent/cn.npy");
  run_to(y, hn, cn);
  cli_expect_failure(1, cn, NULL);
  cli_expect_out_listing("");
}

/* ---- what comes from a file is escaped -------------------------------------------------- */

/* Writes a safetensors file: the header's length, the header, then n_data zero bytes. */
static void write_safetensors(const char *path, const char *header, size_t n_data) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot write %s", path);
  uint64_t n = strlen(header);
  for (int i = 0; i < 8; i++)
    fputc((int)(n >> (8 * i)) & 0xff, f);
  fputs(header, f);
  for (size_t i = 0; i < n_data; i++)
    fputc(0, f);
  cr_assert_eq(fclose(f), 0);
}

/* text is exactly `lines` lines, with no control byte but their newlines. */
static void expect_clean_lines(const char *text, int lines) {
  int newlines = 0;
  for (const char *c = text; *c; c++) {
    newlines += *c == '\n';
    cr_expect(*c == '\n' || ((unsigned char)*c >= 0x20 && *c != 0x7f), "byte 0x%02x at %zu: %s",
              (unsigned char)*c, (size_t)(c - text), text);
  }
  cr_expect_eq(newlines, lines, "%d lines, want %d: %s", newlines, lines, text);
  size_t n = strlen(text);
  cr_expect(n > 0 && text[n - 1] == '\n', "no final newline: %s", text);
}

/* A newline or a terminal escape sequence in a tensor name or a metadata value: the error is
 * still one stderr line, with no control byte but its final newline, and shows them escaped. */
Test(cli_errors, file_text_is_escaped) {
  static const struct {
    const char *header;
    size_t n_data;
    const char *needle;
  } cases[] = {
      {"{\"x\\u001b[31m\\u0007\\n.weight_ih_l0\": {\"dtype\": \"F32\", \"shape\": [4, 5], "
       "\"data_offsets\": [0, 80]}}", 80, "x\\x1b[31m\\x07\\n.weight_hh_l0: missing"},
      {"{\"__metadata__\": {\"cell\": \"lstm\\n\\u001b[2J\"}, \"weight_ih_l0\": {\"dtype\": "
       "\"F32\", \"shape\": [28, 5], \"data_offsets\": [0, 560]}, \"weight_hh_l0\": {\"dtype\": "
       "\"F32\", \"shape\": [28, 7], \"data_offsets\": [560, 1344]}}", 1344,
       "metadata cell 'lstm\\n\\x1b[2J'"},
      {"{\"a\\u007f\\t\": {\"dtype\": \"\\u009b2J\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
       4, "tensor 'a\\x7f\\t': unknown dtype '\\xc2\\x9b2J'"},
  };
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  cli_tmp_path(model, "hostile.safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_safetensors(model, cases[i].header, cases[i].n_data);
    cli_run("run", model, x, NULL);
    cli_expect_failure(1, model, cases[i].needle, NULL);
    expect_clean_lines(cli_res.err, 1);
  }
}

/* A path given on the command line with a newline or an escape sequence in it: the error is
 * still one line, the bytes escaped. */
Test(cli_errors, paths_with_control_bytes_are_escaped) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  cli_tmp_path(model, "no\nsuch\x1b[31m.safetensors");
  golden_file(x, "lstm_l1_uni", ".x.npy");
  cli_run("run", model, x, NULL);
  cli_expect_failure(1, "no\\nsuch\\x1b[31m.safetensors", NULL);
  expect_clean_lines(cli_res.err, 1);
}

/* A tune file quoting a key with an escape sequence: `recur info` says why it is not used on
 * one clean line, the bytes escaped. */
Test(cli_errors, tune_file_text_is_escaped) {
  char tune[CLI_PATH_LEN];
  cli_tmp_path(tune, "tune.conf");
  FILE *f = fopen(tune, "w");
  cr_assert_not_null(f);
  fputs("version=0.1.0\n\x1b[2J\x07key=1\n", f);
  cr_assert_eq(fclose(f), 0);
  cr_assert_eq(setenv("RECUR_TUNE_FILE", tune, 1), 0);
  cli_run("info", NULL);
  unsetenv("RECUR_TUNE_FILE");
  cr_assert_eq(cli_res.code, 0, "%s", cli_res.err);
  cr_expect(strstr(cli_res.out, "line 2: unknown key '\\x1b[2J\\x07key'"), "%s", cli_res.out);
  expect_clean_lines(cli_res.out, cli_count_lines(cli_res.out));
}
