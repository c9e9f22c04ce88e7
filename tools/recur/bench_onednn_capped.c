/* oneDNN capped at AVX2. DNNL_MAX_CPU_ISA is read once, when oneDNN first dispatches, so the
 * capped measurement runs in a fresh process: this program, re-run as `recur bench
 * --onednn-only --json` on the same cases and thread counts with the cap (and the largest
 * thread count) in its environment. Its JSON report is read back with jansson. */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_onednn.h"

extern char **environ;

#define MAX_ARGS 16
#define MAX_ENV 1024

/* The child's environment: ours without the variables it sets, then those. */
static void make_env(char **env, char *threads_var) {
  int n = 0;
  for (char **e = environ; *e && n < MAX_ENV - 3; e++) {
    if (strncmp(*e, "DNNL_MAX_CPU_ISA=", 17) != 0 && strncmp(*e, "OMP_NUM_THREADS=", 16) != 0)
      env[n++] = *e;
  }
  env[n++] = "DNNL_MAX_CPU_ISA=AVX2";
  env[n++] = threads_var;
  env[n] = NULL;
}

/* Reads fd to its end into a NUL-terminated buffer (to free); NULL on failure. */
static char *read_all(int fd) {
  size_t len = 0, cap = 1 << 16;
  char *buf = malloc(cap);
  while (buf) {
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
      continue;
    }
    ssize_t got = read(fd, buf + len, cap - len - 1);
    if (got == 0) break;
    if (got < 0) {
      free(buf);
      return NULL;
    }
    len += (size_t)got;
  }
  if (buf) buf[len] = '\0';
  return buf;
}

/* Runs this program with argv and env; returns its stdout (to free), or NULL with a message. */
static char *run_child(char **argv, char **env, char *err, size_t errlen) {
  int fds[2];
  if (pipe(fds) != 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return NULL;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid;
  int spawn_error = posix_spawn(&pid, "/proc/self/exe", &actions, NULL, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawn_error) {
    close(fds[0]);
    snprintf(err, errlen, "cannot start the child run: %s", strerror(spawn_error));
    return NULL;
  }
  char *out = read_all(fds[0]);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    free(out);
    snprintf(err, errlen, "the child run failed");
    return NULL;
  }
  return out;
}

/* The child's result for row's case, thread count and precision, or NULL. */
static json_t *find_result(json_t *results, const struct recur_bench_row *row) {
  const struct recur_bench_shape *s = &row->c.shape;
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r) {
    const char *cell = json_string_value(json_object_get(r, "cell"));
    json_int_t values[6] = {s->T, s->B, s->I, s->H, s->P, row->threads};
    const char *names[6] = {"T", "B", "I", "H", "P", "threads"};
    const char *precision = json_string_value(json_object_get(r, "precision"));
    int same = cell && strcmp(cell, recur_bench_cell_info(row->c.cell)->name) == 0 && precision &&
               strcmp(precision, recur_precision_name(row->precision)) == 0;
    for (int k = 0; k < 6 && same; k++)
      same = json_integer_value(json_object_get(r, names[k])) == values[k];
    if (same) return r;
  }
  return NULL;
}

/* Copies the child's result for row, a time or why it has none, into the row's AVX2 slot; 0 if
 * the child reported neither. */
static int read_row(json_t *results, struct recur_bench_row *row) {
  json_t *result = find_result(results, row);
  json_t *t = json_object_get(json_object_get(result, "onednn"), "default");
  const char *why = json_string_value(
      json_object_get(json_object_get(result, "onednn_unsupported"), "default"));
  if (why) {
    snprintf(row->onednn_unsupported[RECUR_BENCH_ONEDNN_AVX2], RECUR_BENCH_REASON_LEN, "%s", why);
    return 1;
  }
  struct recur_bench_timing *out = &row->onednn[RECUR_BENCH_ONEDNN_AVX2];
  const char *isa = json_string_value(json_object_get(t, "isa"));
  if (json_unpack(t, "{s:i, s:F, s:F}", "runs", &out->runs, "median_ms", &out->median_ms,
                  "min_ms", &out->min_ms) != 0 || !isa)
    return 0;
  snprintf(row->onednn_isa[RECUR_BENCH_ONEDNN_AVX2], RECUR_BENCH_NAME_LEN, "%s", isa);
  return 1;
}

/* Copies the child's oneDNN results into the AVX2 slots of each precision's first block. */
static int read_results(const char *text, struct recur_bench_run *run, char *err, size_t errlen) {
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  json_t *results = json_object_get(root, "results");
  int per_table = run->n_cases * run->n_threads, rc = 0;
  for (int b = 0; b < run->n_tables && !rc; b += run->tables_per_precision) {
    for (int i = 0; i < per_table && !rc; i++) {
      if (!read_row(results, &run->rows[b * per_table + i])) {
        snprintf(err, errlen, "the child run did not report row %d of %d", i + 1, per_table);
        rc = 1;
      }
    }
  }
  json_decref(root);
  return rc;
}

/* The run's precisions as --precision takes them ("fp32,bf16"). */
static void format_precisions(const struct recur_bench_run *run, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int b = 0; b < run->n_tables && used < len; b += run->tables_per_precision) {
    const struct recur_bench_row *first = &run->rows[b * run->n_cases * run->n_threads];
    used += (size_t)snprintf(buf + used, len - used, "%s%s", b ? "," : "",
                             recur_precision_name(first->precision));
  }
}

/* OMP_NUM_THREADS=the largest of the run's thread counts. */
static void format_threads_var(const struct recur_bench_run *run, char *var, size_t len) {
  int largest = 0;
  for (int k = 0; k < run->n_threads; k++)
    if (run->threads[k] > largest) largest = run->threads[k];
  snprintf(var, len, "OMP_NUM_THREADS=%d", largest);
}

int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_run *run,
                              char *err, size_t errlen) {
  char threads[RECUR_BENCH_THREADS_TEXT_LEN], threads_var[32], cells[64],
      shapes[RECUR_BENCH_MAX_SHAPES * 64], precisions[32];
  recur_bench_format_threads(run->threads, run->n_threads, threads);
  format_threads_var(run, threads_var, sizeof threads_var);
  format_precisions(run, precisions, sizeof precisions);
  char *argv[MAX_ARGS] = {"recur", "bench", "--onednn-only", "--json", "--threads", threads,
                          "--precision", precisions};
  int n = 8;
  if (opts->quick) argv[n++] = "--quick";
  if (opts->cells && recur_bench_format_cells(opts->cells, cells, sizeof cells)) {
    argv[n++] = "--cells";
    argv[n++] = cells;
  }
  if (opts->n_shapes &&
      recur_bench_format_shapes(opts->shapes, opts->n_shapes, shapes, sizeof shapes)) {
    argv[n++] = "--shapes";
    argv[n++] = shapes;
  }
  argv[n] = NULL;
  static char *env[MAX_ENV];
  make_env(env, threads_var);
  char *out = run_child(argv, env, err, errlen);
  if (!out) return 1;
  int rc = read_results(out, run, err, errlen);
  free(out);
  return rc;
}
