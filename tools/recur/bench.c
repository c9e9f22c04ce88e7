/* `recur bench`: times recur (and, with --vs-onednn, oneDNN) on standard or given shapes and
 * prints a table, CSV or JSON. Networks get random weights in PyTorch's layout through
 * recur_net_create; every case has its own network and buffers. */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_onednn.h"
#include "commands.h"
#include "recur.h"
#include "recur_tool.h"

#define MAX_ISAS 8

/* The first line of /proc/cpuinfo naming the CPU ("model name" on x86), or "unknown". */
static void read_cpu_model(char *buf, size_t len) {
  snprintf(buf, len, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon || strncmp(line, "model name", 10) != 0) continue;
    colon += 1 + strspn(colon + 1, " \t");
    colon[strcspn(colon, "\n")] = '\0';
    snprintf(buf, len, "%s", colon);
    break;
  }
  fclose(f);
}

/* A one-layer network with random weights in PyTorch's initial range at a precision, packed
 * as recur_net_create packs it (with the tune file's choices if it has the shape) or with the
 * built-in defaults. */
static recur_status make_net(const struct recur_bench_case *c, recur_precision precision,
                             recur_tool_packing packing, recur_net **net) {
  const struct recur_bench_cell_info *info = recur_bench_cell_info(c->cell);
  const struct recur_bench_shape *s = &c->shape;
  recur_desc desc = {.cell = info->cell, .input_size = s->I, .hidden_size = s->H, .num_layers = 1,
                     .bidirectional = info->directions == 2, .proj_size = s->P, .bias = 1};
  return recur_tool_random_net(net, &desc, packing, precision);
}

/* One call of recur_forward: the network, its arguments, and whether the per-call choices are
 * the built-in ones (else the tune file's, as recur_forward). */
struct recur_call {
  const recur_net *net;
  recur_forward_args args;
  int builtin;
};

static int run_recur(void *ctx) {
  struct recur_call *call = ctx;
  return call->builtin ? recur_tool_forward_builtin(call->net, &call->args)
                       : recur_forward(call->net, &call->args);
}

/* One case on recur: its network, input and output, and a call at each thread count; with
 * --vs-defaults also a network and calls with the built-in choices only. */
struct recur_job {
  recur_net *net, *builtin;
  float *x, *y;
  struct recur_call calls[RECUR_BENCH_MAX_THREAD_COUNTS];
  struct recur_call builtin_calls[RECUR_BENCH_MAX_THREAD_COUNTS];
};

static void case_label(const struct recur_bench_case *c, char *buf, size_t len) {
  const struct recur_bench_shape *s = &c->shape;
  int n = snprintf(buf, len, "%s T=%lld B=%lld I=%lld H=%lld", recur_bench_cell_info(c->cell)->name,
                   (long long)s->T, (long long)s->B, (long long)s->I, (long long)s->H);
  if (s->P && n > 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, " P=%lld", (long long)s->P);
}

/* Builds the network on the current kernel table at the row's precision, random input, and
 * the calls. */
static int recur_job_open(const struct recur_bench_row *row, const int *threads, int n_threads,
                          int vs_defaults, const char *label, struct recur_job *job) {
  const struct recur_bench_case *c = &row->c;
  const struct recur_bench_shape *s = &c->shape;
  double nx = (double)s->T * (double)s->B * (double)s->I;
  double ny = (double)s->T * (double)s->B * (double)(s->P ? s->P : s->H) *
              recur_bench_cell_info(c->cell)->directions;
  if ((nx + ny) * sizeof(float) > (double)recur_memory_limit())
    return recur_cmd_fail("bench", "%s: input and output need more than the memory limit", label);
  recur_status status = make_net(c, row->precision, RECUR_TOOL_PACKING_TUNED, &job->net);
  if (status == RECUR_OK && vs_defaults)
    status = make_net(c, row->precision, RECUR_TOOL_PACKING_BUILTIN, &job->builtin);
  if (status != RECUR_OK) return recur_cmd_fail_status(label, status);
  job->x = malloc((size_t)nx * sizeof *job->x);
  job->y = malloc((size_t)ny * sizeof *job->y);
  if (!job->x || !job->y) return recur_cmd_fail("bench", "%s: out of memory", label);
  unsigned state = 777;
  recur_bench_fill_random(job->x, (size_t)nx, 1.0f, &state);
  for (int k = 0; k < n_threads; k++) {
    job->calls[k] = (struct recur_call){
        job->net, {.seq_len = s->T, .batch = s->B, .input_size = s->I, .x = job->x, .y = job->y,
                   .num_threads = threads[k]}, 0};
    job->builtin_calls[k] = (struct recur_call){job->builtin, job->calls[k].args, 1};
  }
  return RECUR_EXIT_OK;
}

static void recur_job_close(struct recur_job *job) {
  free(job->x);
  free(job->y);
  recur_net_free(job->net);
  recur_net_free(job->builtin);
}

/* The message for the first contender that failed: recur's (the first n_recur) or oneDNN's. */
static int timing_failed(const char *label, const struct recur_bench_contender *contenders,
                         int n, int n_recur) {
  for (int i = 0; i < n; i++) {
    if (!contenders[i].status) continue;
    if (i < n_recur) return recur_cmd_fail_status(label, (recur_status)contenders[i].status);
    return recur_cmd_fail("bench", "%s: oneDNN: %s", label, recur_bench_onednn_error(contenders[i].ctx));
  }
  return recur_cmd_fail("bench", "%s: out of memory", label);
}

/* Times one case at each of the run's thread counts (rows: its n_threads rows in a block) on
 * the rows' kernel table (NULL: not recur) at their precision and, if with_onednn, on oneDNN
 * in this process at that precision (unless it has no implementation of it: the rows say why):
 * every contender in turn, run by run. */
static int time_case(const struct recur_cli_opts *opts, const struct recur_bench_run *run,
                     int with_onednn, struct recur_bench_row *rows) {
  _Static_assert(RECUR_BENCH_MAX_CONTENDERS >= 3 * RECUR_BENCH_MAX_THREAD_COUNTS,
                 "recur, its defaults and oneDNN at every thread count");
  const char *isa = rows[0].isa;
  char label[96], err[256];
  case_label(&rows[0].c, label, sizeof label);
  struct recur_job job = {0};
  struct recur_bench_onednn *onednn[RECUR_BENCH_MAX_THREAD_COUNTS] = {0};
  struct recur_bench_contender contenders[RECUR_BENCH_MAX_CONTENDERS];
  int n = 0, n_recur = 0, rc = RECUR_EXIT_OK;
  if (isa && (opts->isa_all || opts->isa)) { /* else keep the library's own choice */
    recur_status status = recur_isa_force(isa);
    if (status != RECUR_OK) rc = recur_cmd_fail_status(isa, status);
  }
  if (isa && rc == RECUR_EXIT_OK) {
    rc = recur_job_open(&rows[0], run->threads, run->n_threads, run->vs_defaults, label, &job);
    for (int k = 0; k < run->n_threads && rc == RECUR_EXIT_OK; k++) {
      recur_plan plan;
      recur_net_plan(job.net, rows[0].c.shape.B, run->threads[k], &plan);
      rows[k].tuned = plan.tuned_call ? RECUR_BENCH_TUNED
                      : plan.tuned_tiling ? RECUR_BENCH_TUNED_PACKING : RECUR_BENCH_DEFAULTS;
    }
    for (int k = 0; k < run->n_threads; k++)
      contenders[n++] = (struct recur_bench_contender){.fn = run_recur, .ctx = &job.calls[k]};
    for (int k = 0; run->vs_defaults && k < run->n_threads; k++)
      contenders[n++] = (struct recur_bench_contender){.fn = run_recur, .ctx = &job.builtin_calls[k]};
    n_recur = n;
  }
  int unsupported = 0;
  for (int k = 0; with_onednn && !unsupported && k < run->n_threads && rc == RECUR_EXIT_OK; k++) {
    onednn[k] = recur_bench_onednn_open(&rows[0].c, rows[0].precision, run->threads[k], 0,
                                        &unsupported, err, sizeof err);
    if (onednn[k])
      contenders[n++] =
          (struct recur_bench_contender){.fn = recur_bench_onednn_run, .ctx = onednn[k]};
    else if (!unsupported)
      rc = recur_cmd_fail("bench", "%s: oneDNN at %d threads: %s", label, run->threads[k], err);
  }
  for (int k = 0; unsupported && k < run->n_threads; k++)
    snprintf(rows[k].onednn_unsupported[RECUR_BENCH_ONEDNN_DEFAULT], RECUR_BENCH_REASON_LEN, "%.*s",
             RECUR_BENCH_REASON_LEN - 1, err);
  /* The scalar reference is 10-100x slower: fewer runs. */
  int slow = isa && strcmp(isa, "scalar") == 0;
  struct recur_bench_budget budget = recur_bench_budget_for(opts->quick, slow);
  if (rc == RECUR_EXIT_OK && recur_bench_time(contenders, n, &budget))
    rc = timing_failed(label, contenders, n, n_recur);
  for (int k = 0; k < run->n_threads && rc == RECUR_EXIT_OK; k++) {
    if (isa) rows[k].recur = contenders[k].timing;
    if (isa && run->vs_defaults) rows[k].defaults = contenders[run->n_threads + k].timing;
    if (!onednn[k]) continue;
    rows[k].onednn[RECUR_BENCH_ONEDNN_DEFAULT] = contenders[n_recur + k].timing;
    snprintf(rows[k].onednn_isa[RECUR_BENCH_ONEDNN_DEFAULT], RECUR_BENCH_NAME_LEN, "%s",
             recur_bench_onednn_isa());
  }
  recur_job_close(&job);
  /* The last opened first: each restores the OpenMP thread count it found. */
  for (int k = run->n_threads; k-- > 0;) recur_bench_onednn_close(onednn[k]);
  return rc;
}

/* The kernel tables to measure (none in a oneDNN-only run). */
static int list_isas(const struct recur_cli_opts *opts, char names[MAX_ISAS][RECUR_BENCH_NAME_LEN]) {
  if (opts->onednn_only) return 0;
  if (!opts->isa_all) {
    snprintf(names[0], RECUR_BENCH_NAME_LEN, "%s", opts->isa ? opts->isa : recur_isa_name());
    return 1;
  }
  int n = 0;
  for (const char *p = recur_isa_list(); *p && n < MAX_ISAS;) {
    size_t len = strcspn(p, " ");
    snprintf(names[n++], RECUR_BENCH_NAME_LEN, "%.*s", (int)len, p);
    p += len + strspn(p + len, " ");
  }
  return n;
}

/* The peak of one core on isa at a precision, and what it timed (row's peak_*); 0 and NULL if
 * there is none (the scalar table). */
static void core_peak(const char *isa, recur_precision precision, int quick,
                      struct recur_bench_row *row) {
  double gflops = 0;
  if (recur_tool_peak_instruction(isa, precision, &row->peak_table, &row->peak_instruction) ||
      recur_isa_peak_gflops_at(isa, precision, quick ? 0.1 : 0.3, &gflops))
    row->peak_table = row->peak_instruction = NULL, gflops = 0;
  row->peak_gflops = gflops;
}

/* --threads, else 1,2 (1 if this process has a single CPU). */
static int thread_counts(const struct recur_cli_opts *opts, int *counts) {
  if (opts->n_thread_counts) {
    memcpy(counts, opts->thread_counts, (size_t)opts->n_thread_counts * sizeof *counts);
    return opts->n_thread_counts;
  }
  counts[0] = 1;
  counts[1] = 2;
  return omp_get_num_procs() > 1 ? 2 : 1;
}

static void progress(int done, int total, const char *what) {
  if (!isatty(STDERR_FILENO)) return;
  if (done < total)
    fprintf(stderr, "\r\033[Kbench %d/%d: %s", done + 1, total, what);
  else
    fprintf(stderr, "\r\033[K");
}

/* Measures every case: each block (precision and table) in turn, then the next case, so that
 * a busy stretch of a shared machine hits them alike. oneDNN runs in turn with the first
 * table of each precision. */
static int measure(const struct recur_cli_opts *opts, struct recur_bench_run *run) {
  int with_onednn = opts->vs_onednn || opts->onednn_only, total = run->n_cases * run->n_tables;
  for (int c = 0; c < run->n_cases; c++) {
    for (int t = 0; t < run->n_tables; t++) {
      struct recur_bench_row *rows = &run->rows[(t * run->n_cases + c) * run->n_threads];
      int first_of_precision = t % run->tables_per_precision == 0;
      char label[96], what[192];
      case_label(&rows[0].c, label, sizeof label);
      snprintf(what, sizeof what, "%s, %.31s %s%s", label, rows[0].isa ? rows[0].isa : "",
               recur_precision_name(rows[0].precision),
               with_onednn && first_of_precision ? " and oneDNN" : "");
      progress(c * run->n_tables + t, total, what);
      int rc = time_case(opts, run, with_onednn && first_of_precision, rows);
      if (rc != RECUR_EXIT_OK) return rc;
    }
  }
  progress(total, total, "");
  return RECUR_EXIT_OK;
}

/* The largest thread count of the run. */
static int most_threads(const struct recur_bench_run *run) {
  int most = 1;
  for (int k = 0; k < run->n_threads; k++) most = run->threads[k] > most ? run->threads[k] : most;
  return most;
}

/* On stderr, if other work is taking the CPUs the run's threads need (run->load). */
static void warn_busy(const struct recur_bench_run *run) {
  int threads = most_threads(run);
  if (run->cpus && recur_bench_busy(run->load, run->cpus, threads))
    fprintf(stderr, "recur bench: warning: the machine is busy (load average %.2f on %d CPUs; "
            "this run takes up to %d thread%s): its figures are unreliable\n", run->load,
            run->cpus, threads, threads == 1 ? "" : "s");
}

/* On stderr: how many of the run's timings spread too much run to run to be trusted, and the
 * worst, if any. */
static void warn_noisy(const struct recur_bench_run *run) {
  int noisy = 0, timed = 0;
  const struct recur_bench_row *worst = NULL;
  double most = 0;
  for (int i = 0; i < run->n_tables * run->n_cases * run->n_threads; i++) {
    const struct recur_bench_row *row = &run->rows[i];
    const struct recur_bench_timing *t[2 + RECUR_BENCH_ONEDNN_N] = {&row->recur, &row->defaults};
    for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) t[2 + k] = &row->onednn[k];
    for (int k = 0; k < 2 + RECUR_BENCH_ONEDNN_N; k++) {
      if (!t[k]->runs) continue;
      timed++;
      if (t[k]->spread <= RECUR_BENCH_NOISY) continue;
      noisy++;
      if (t[k]->spread > most) most = t[k]->spread, worst = row;
    }
  }
  if (!noisy) return;
  char label[96];
  case_label(&worst->c, label, sizeof label);
  fprintf(stderr, "recur bench: warning: %d of %d timings spread more than %.0f%% run to run "
          "(the most, %.1f%%: %s, %s, %d thread%s): their medians are unreliable\n", noisy, timed,
          100 * RECUR_BENCH_NOISY, 100 * most, label, recur_precision_name(worst->precision),
          worst->threads, worst->threads == 1 ? "" : "s");
}

static int report(const struct recur_cli_opts *opts, const struct recur_bench_run *run) {
  if (opts->json) return recur_bench_print_json(run) ? recur_cmd_fail("bench", "cannot build the JSON report")
                                                     : RECUR_EXIT_OK;
  if (opts->csv)
    recur_bench_print_csv(run);
  else
    recur_bench_print_table(run);
  return RECUR_EXIT_OK;
}

/* The rows of every precision, table, case and thread count, not yet measured. */
static struct recur_bench_row *make_rows(const struct recur_cli_opts *opts,
                                         const recur_precision *precisions,
                                         char isas[][RECUR_BENCH_NAME_LEN], int n_isas,
                                         const struct recur_bench_case *cases,
                                         const struct recur_bench_run *run) {
  struct recur_bench_row *rows =
      calloc((size_t)(run->n_tables * run->n_cases * run->n_threads), sizeof *rows);
  if (!rows) return NULL;
  int procs = omp_get_num_procs();
  struct recur_bench_row *row = rows;
  for (int b = 0; b < run->n_tables; b++) {
    int t = b % run->tables_per_precision;
    recur_precision precision = precisions[b / run->tables_per_precision];
    struct recur_bench_row peak = {0}; /* the block's: one core's */
    if (n_isas) core_peak(isas[t], precision, opts->quick, &peak);
    for (int c = 0; c < run->n_cases; c++) {
      for (int k = 0; k < run->n_threads; k++) {
        int cores = run->threads[k] < procs ? run->threads[k] : procs;
        *row++ = (struct recur_bench_row){
            .c = cases[c], .precision = precision, .threads = run->threads[k], .cores = cores,
            .isa = n_isas ? isas[t] : NULL, .peak_gflops = peak.peak_gflops * cores,
            .peak_table = peak.peak_table, .peak_instruction = peak.peak_instruction};
      }
    }
  }
  return rows;
}

int recur_cmd_bench(const struct recur_cli_opts *opts) {
  int with_onednn = opts->vs_onednn || opts->onednn_only;
  if (with_onednn && !recur_bench_onednn_version())
    return recur_cmd_fail("bench", "this recur has no oneDNN, which only the build folder's "
                          "bench/recur_onednn links: run `BUILD/bench/recur_onednn bench "
                          "--vs-onednn` (built where libdnnl-dev is installed; bench/README.md)");
  struct recur_bench_case cases[RECUR_BENCH_MAX_CASES];
  char isas[MAX_ISAS][RECUR_BENCH_NAME_LEN], cpu_model[128];
  int threads[RECUR_BENCH_MAX_THREAD_COUNTS];
  int n_isas = list_isas(opts, isas);
  static const recur_precision fp32_only[] = {RECUR_PRECISION_FP32};
  const recur_precision *precisions = opts->n_precisions ? opts->precisions : fp32_only;
  int n_precisions = opts->n_precisions ? opts->n_precisions : 1;
  read_cpu_model(cpu_model, sizeof cpu_model);
  struct recur_bench_run run = {
      .cpu_model = cpu_model,
      .threads = threads,
      .n_threads = thread_counts(opts, threads),
      .quick = opts->quick,
      .onednn_version = with_onednn ? recur_bench_onednn_version() : NULL,
      .vs_defaults = opts->vs_defaults,
      .n_tables = (n_isas ? n_isas : 1) * n_precisions,
      .tables_per_precision = n_isas ? n_isas : 1,
      .n_cases = recur_bench_cases(opts->cells, opts->shapes, opts->n_shapes, cases),
  };
  run.rows = make_rows(opts, precisions, isas, n_isas, cases, &run);
  if (!run.rows) return recur_cmd_fail("bench", "out of memory");
  if (!recur_bench_load(&run.load, &run.cpus)) run.cpus = 0;
  warn_busy(&run);
  int rc = measure(opts, &run);
  char err[256];
  if (rc == RECUR_EXIT_OK && opts->vs_onednn &&
      recur_bench_onednn_capped(opts, &run, err, sizeof err))
    rc = recur_cmd_fail("bench", "oneDNN capped at AVX2: %s", err);
  if (rc == RECUR_EXIT_OK) {
    int per_table = run.n_cases * run.n_threads, per_precision = per_table * run.tables_per_precision;
    /* The same oneDNN times in each table of a precision. */
    for (int i = 0; i < run.n_tables * per_table; i++) {
      const struct recur_bench_row *from = &run.rows[i - i % per_precision + i % per_table];
      if (from == &run.rows[i]) continue;
      memcpy(run.rows[i].onednn, from->onednn, sizeof run.rows[i].onednn);
      memcpy(run.rows[i].onednn_isa, from->onednn_isa, sizeof run.rows[i].onednn_isa);
      memcpy(run.rows[i].onednn_unsupported, from->onednn_unsupported,
             sizeof run.rows[i].onednn_unsupported);
    }
    warn_noisy(&run);
    rc = report(opts, &run);
  }
  free(run.rows);
  return rc;
}
