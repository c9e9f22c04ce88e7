/* Fuzz target: recur_cli_parse on an argv made from the input, split at NUL bytes (each
 * argument in its own allocation, so that reading past one is a sanitizer error). The result
 * must be consistent: strings point into argv, values are in range (bench's cells and shapes
 * also survive formatting and parsing again), errors are one printable line, and the status
 * does not depend on the error buffer. */
#include <string.h>

#include "cli.h"
#include "fuzz_target.h"
#include "recur_tool.h"

#define MAX_ARGS 64
#define ERR_LEN 256

struct argv_copy {
  int argc;
  char *argv[MAX_ARGS + 2];
  size_t len[MAX_ARGS + 1];
};

static void make_argv(const uint8_t *data, size_t size, struct argv_copy *a) {
  static char program[] = "recur";
  a->argc = 1;
  a->argv[0] = program;
  a->len[0] = sizeof program - 1;
  size_t at = 0;
  while (at < size && a->argc <= MAX_ARGS) {
    const uint8_t *end = memchr(data + at, 0, size - at);
    size_t n = end ? (size_t)(end - (data + at)) : size - at;
    char *arg = malloc(n + 1);
    if (!arg)
      fuzz_fail("out of memory");
    memcpy(arg, data + at, n);
    arg[n] = '\0';
    a->len[a->argc] = n;
    a->argv[a->argc++] = arg;
    at += n + 1;
  }
  a->argv[a->argc] = NULL;
}

/* s is NULL or a suffix of one of the arguments after the program name. */
static void check_points_into_argv(const struct argv_copy *a, const char *s, const char *what) {
  if (!s)
    return;
  for (int i = 1; i < a->argc; i++)
    if (s >= a->argv[i] && s <= a->argv[i] + a->len[i])
      return;
  fuzz_fail("%s does not point into argv", what);
}

static void check_shape(const struct recur_bench_shape *sh) {
  const int64_t dims[4] = {sh->T, sh->B, sh->I, sh->H};
  for (int i = 0; i < 4; i++)
    if (dims[i] < 1 || dims[i] > RECUR_BENCH_MAX_DIM)
      fuzz_fail("bench shape size %lld", (long long)dims[i]);
  if (sh->P < 0 || sh->P >= sh->H)
    fuzz_fail("bench projection %lld with H = %lld", (long long)sh->P, (long long)sh->H);
}

/* bench's --threads list: distinct counts in range, and formatted it parses back the same. */
static void check_thread_counts(const struct recur_cli_opts *o) {
  int n = o->n_thread_counts;
  if (n < 0 || n > RECUR_BENCH_MAX_THREAD_COUNTS)
    fuzz_fail("%d thread counts", n);
  for (int i = 0; i < n; i++) {
    if (o->thread_counts[i] < 1 || o->thread_counts[i] > RECUR_CLI_MAX_THREADS)
      fuzz_fail("thread count %d", o->thread_counts[i]);
    for (int j = 0; j < i; j++)
      if (o->thread_counts[j] == o->thread_counts[i])
        fuzz_fail("thread count %d twice", o->thread_counts[i]);
  }
  if (n == 0)
    return;
  char text[RECUR_BENCH_THREADS_TEXT_LEN], bench[] = "bench", flag[] = "--threads";
  recur_bench_format_threads(o->thread_counts, n, text);
  char *argv[] = {bench, bench, flag, text, NULL};
  struct recur_cli_opts again;
  if (recur_cli_parse(4, argv, &again, NULL, 0) != RECUR_CLI_OK || again.n_thread_counts != n ||
      memcmp(again.thread_counts, o->thread_counts, (size_t)n * sizeof(int)) != 0)
    fuzz_fail("thread counts do not survive formatting and parsing");
}

/* The cells and shapes are in range, and formatting them parses back to the same. */
static void check_bench(const struct recur_cli_opts *o) {
  if (o->cells >> RECUR_BENCH_N_CELLS)
    fuzz_fail("unknown cell bits in %#x", o->cells);
  if (o->n_shapes < 0 || o->n_shapes > RECUR_BENCH_MAX_SHAPES)
    fuzz_fail("%d shapes", o->n_shapes);
  if ((o->csv && o->json) || (o->vs_onednn && o->onednn_only) || (o->isa_all && o->isa))
    fuzz_fail("options that exclude each other were accepted");
  for (int i = 0; i < o->n_shapes; i++)
    check_shape(&o->shapes[i]);
  check_thread_counts(o);
  char text[RECUR_BENCH_MAX_SHAPES * 64], err[ERR_LEN];
  struct recur_bench_shape again[RECUR_BENCH_MAX_SHAPES];
  unsigned mask;
  int n;
  if (o->cells && (!recur_bench_format_cells(o->cells, text, sizeof text) ||
                   !recur_bench_parse_cells(text, &mask, err, sizeof err) || mask != o->cells))
    fuzz_fail("cells %#x do not survive formatting and parsing", o->cells);
  if (o->n_shapes &&
      (!recur_bench_format_shapes(o->shapes, o->n_shapes, text, sizeof text) ||
       !recur_bench_parse_shapes(text, again, &n, err, sizeof err) || n != o->n_shapes ||
       memcmp(again, o->shapes, (size_t)n * sizeof *again) != 0))
    fuzz_fail("shapes do not survive formatting and parsing");
}

static void check_ok(const struct argv_copy *a, const struct recur_cli_opts *o) {
  if (o->command == RECUR_CLI_NONE && !o->help)
    fuzz_fail("success without a command or help");
  const char *strings[] = {o->model_path, o->input_path, o->y_path, o->hn_path, o->cn_path,
                           o->h0_path, o->c0_path, o->lengths_path, o->prefix, o->isa};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
    check_points_into_argv(a, strings[i], "an option value");
    if (strings[i] && !strings[i][0] && o->command == RECUR_CLI_RUN && !o->help)
      fuzz_fail("an empty value was accepted");
  }
  if (o->threads < 0 || o->threads > RECUR_CLI_MAX_THREADS)
    fuzz_fail("threads %d", o->threads);
  if (o->isa && !recur_tool_isa_known(o->isa))
    fuzz_fail("unknown isa '%s' accepted", o->isa);
  if (o->command == RECUR_CLI_BENCH && !o->help)
    check_bench(o);
  if (o->command == RECUR_CLI_RUN && !o->help) {
    if (!o->model_path || !o->input_path)
      fuzz_fail("run without MODEL or INPUT");
    const char *outs[] = {o->y_path, o->hn_path, o->cn_path};
    for (int i = 0; i < 3; i++)
      for (int j = i + 1; j < 3; j++)
        if (outs[i] && outs[j] && strcmp(outs[i], outs[j]) == 0)
          fuzz_fail("two outputs name the same file");
  }
}

static void check_error(const char *err) {
  size_t n = strnlen(err, ERR_LEN);
  if (n == 0 || n == ERR_LEN)
    fuzz_fail("usage error with an empty or unterminated message");
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
      fuzz_fail("control character in the message at %zu", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct argv_copy a;
  make_argv(data, size, &a);
  struct recur_cli_opts opts;
  char err[ERR_LEN], tiny[1];
  enum recur_cli_status st = recur_cli_parse(a.argc, a.argv, &opts, err, sizeof err);
  if (st == RECUR_CLI_OK)
    check_ok(&a, &opts);
  else if (st == RECUR_CLI_USAGE_ERROR)
    check_error(err);
  else
    fuzz_fail("status %d", (int)st);
  if (recur_cli_parse(a.argc, a.argv, &opts, tiny, sizeof tiny) != st || tiny[0] != '\0')
    fuzz_fail("a one-byte error buffer changed the result or was not terminated");
  if (recur_cli_parse(a.argc, a.argv, &opts, NULL, 0) != st)
    fuzz_fail("no error buffer changed the result");
  for (int i = 1; i < a.argc; i++)
    free(a.argv[i]);
  return 0;
}
